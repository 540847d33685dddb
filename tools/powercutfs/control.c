/*
 * The power switch. Commands arrive one per line on stdin, replies go to stdout:
 *
 *   arm KIND K [tear] [scatter]
 *                 cut at the K-th request of KIND from now, before it is carried out:
 *                 KIND is io (any write or fsync), write (any write), sync-write (a write
 *                 on an O_SYNC/O_DSYNC descriptor) or fsync (fsync or fdatasync)
 *                 -> "ok armed KIND K"; later "cut {...}" when it fires
 *   cut [tear] [scatter]
 *                 cut now -> "cut {...}"
 *   release       after a cut: fail every request with EIO from now on (the harness sends
 *                 it once it has SIGKILLed the processes using the mount) -> "ok released"
 *   stats         -> "stats {...}"
 *
 * A cut drops every write not yet synced; with `tear`, the interrupted write (or else
 * the newest unsynced one) keeps a random whole number of its leading 512-byte sectors;
 * with `scatter`, each unsynced sector reaches the disk with probability 1/2 first.
 * Page-cache writebacks of shared mmaps (LMDB's lock file) neither count for `arm` nor
 * get torn: they are not writes any process is waiting on.
 * From the cut until `release` every request waits, so no process sees an error or any
 * state after the cut: it just stops, as when the power goes. End of stdin releases and
 * detaches the mount, so a dead harness leaves nothing hanging.
 */
#define _GNU_SOURCE
#include "powercutfs.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

struct pc_state pc = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
    .power = POWER_ON,
    .rootfd = -1,
};

/* splitmix64: seeded from the command line, so a harness seed fixes the tears. */
uint64_t pc_random(void) {
    uint64_t z = (pc.rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Callers hold pc.lock, which keeps lines whole. */
void emit(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vfprintf(stdout, format, args);
    va_end(args);
    fflush(stdout);
}

int gate_enter(void) {
    pthread_mutex_lock(&pc.lock);
    while (pc.power == POWER_CUT_FROZEN) pthread_cond_wait(&pc.changed, &pc.lock);
    if (pc.power == POWER_OFF) {
        pthread_mutex_unlock(&pc.lock);
        return -EIO;
    }
    return 0;
}

void gate_leave(void) { pthread_mutex_unlock(&pc.lock); }

/* A file name as a JSON string (paths here are plain, but quote what needs it). */
void json_string(char *out, size_t cap, const char *text) {
    size_t n = 0;
    if (cap < 3) return;
    out[n++] = '"';
    for (const char *p = text; *p != '\0' && n + 7 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
}

/* Writes a random whole number of the write's leading sectors to the backing file: a
 * torn write. Several sectors: 1 to all but one; a single sector: all or nothing. */
static void tear(struct node *node, const struct last_write *victim, char *report, size_t cap) {
    uint64_t first = (uint64_t)victim->offset / PC_SECTOR;
    uint64_t last = ((uint64_t)victim->offset + victim->length - 1) / PC_SECTOR;
    uint64_t sectors = victim->length == 0 ? 0 : last - first + 1;
    uint64_t keep = sectors >= 2 ? 1 + pc_random() % (sectors - 1) : pc_random() % 2;
    size_t kept = 0;
    if (keep > 0) {
        uint64_t end = (first + keep) * PC_SECTOR;
        uint64_t write_end = (uint64_t)victim->offset + victim->length;
        kept = (size_t)((end < write_end ? end : write_end) - (uint64_t)victim->offset);
    }
    int rc = kept > 0 ? pwrite_all(node->fd, victim->data, kept, victim->offset) : 0;
    char file[1024];
    json_string(file, sizeof file, node->path);
    snprintf(report, cap,
             "{\"file\":%s,\"offset\":%lld,\"length\":%zu,\"sectors\":%llu,\"keptSectors\":%llu,\"keptBytes\":%zu,\"error\":%d}",
             file, (long long)victim->offset, victim->length, (unsigned long long)sectors,
             (unsigned long long)keep, kept, -rc);
}

/* The power goes: drop the cache (tearing one write if asked), then freeze. */
static void cut_locked(const char *trigger, struct node *at, off_t offset, size_t length, const void *data, int mode) {
    struct last_write victim = {0};
    struct node *victim_node = NULL;
    if (mode & CUT_TEAR) {
        if (at != NULL && data != NULL) {
            victim.data = malloc(length ? length : 1);
            if (victim.data != NULL) {
                memcpy(victim.data, data, length);
                victim.offset = offset;
                victim.length = length;
                victim_node = at;
            }
        } else if ((victim_node = newest_unsynced()) != NULL) {
            victim = victim_node->last;
            memset(&victim_node->last, 0, sizeof victim_node->last);
        }
    }
    char files[8192];
    uint64_t scattered = 0;
    size_t pages = overlay_drop_all(files, sizeof files, mode & CUT_SCATTER, &scattered);
    char torn[1536] = "null";
    if (victim_node != NULL && victim.data != NULL) tear(victim_node, &victim, torn, sizeof torn);
    free(victim.data);

    char scatter_text[32] = "null";
    if (mode & CUT_SCATTER) snprintf(scatter_text, sizeof scatter_text, "%llu", (unsigned long long)scattered);
    char where[1280] = "null";
    if (at != NULL) {
        char file[1024];
        json_string(file, sizeof file, at->path);
        snprintf(where, sizeof where, "{\"file\":%s,\"offset\":%lld,\"length\":%zu}", file, (long long)offset, length);
    }
    pc.power = POWER_CUT_FROZEN;
    pc.armed = 0;
    emit("cut {\"trigger\":\"%s\",\"at\":%s,\"droppedPages\":%zu,\"dropped\":%s,\"tearRequested\":%s,\"scatteredSectors\":%s,"
         "\"torn\":%s,\"writes\":%llu,\"fsyncs\":%llu,\"syncWrites\":%llu,\"pagesSynced\":%llu}\n",
         trigger, where, pages, files, mode & CUT_TEAR ? "true" : "false", scatter_text, torn, (unsigned long long)pc.writes,
         (unsigned long long)pc.fsyncs, (unsigned long long)pc.sync_writes, (unsigned long long)pc.pages_synced);
    pthread_cond_broadcast(&pc.changed);
}

static const char *kind_name(enum io_kind kind) {
    return kind == IO_FSYNC ? "fsync" : kind == IO_SYNC_WRITE ? "sync-write" : "write";
}

/* Counts a write or fsync; an armed cut fires before it is carried out. Lock held. */
int gate_io(enum io_kind kind, struct node *node, off_t offset, size_t length, const void *data) {
    if (kind == IO_FSYNC) pc.fsyncs++; else pc.writes++;
    if (pc.armed > 0 && (pc.arm_kind & kind) != 0 && --pc.armed == 0) {
        cut_locked(kind_name(kind), node, offset, length, data, pc.arm_mode);
        while (pc.power == POWER_CUT_FROZEN) pthread_cond_wait(&pc.changed, &pc.lock);
        return -EIO;
    }
    return 0;
}

static size_t pending_pages(void) {
    size_t pages = 0;
    for (size_t b = 0; b < sizeof pc.buckets / sizeof pc.buckets[0]; b++) {
        for (struct node *node = pc.buckets[b]; node != NULL; node = node->next) pages += node->pages.count;
    }
    return pages;
}

static void power_off_locked(void) {
    pc.power = POWER_OFF;
    pc.armed = 0;
    pthread_cond_broadcast(&pc.changed);
}

/* Lets go of the mount when the harness is gone: a lazy unmount ends the FUSE loop. */
static void detach_mount(void) {
    if (geteuid() == 0) {
        umount2(pc.mountpoint, MNT_DETACH);
        return;
    }
    char *argv[] = {"fusermount3", "-u", "-z", (char *)pc.mountpoint, NULL};
    pid_t pid;
    extern char **environ;
    if (posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ) == 0) waitpid(pid, NULL, 0);
}

/* The CUT_* bits named by the words from `from` on. */
static int cut_mode(char **words, int count, int from) {
    int mode = 0;
    for (int i = from; i < count; i++) {
        if (strcmp(words[i], "tear") == 0) mode |= CUT_TEAR;
        if (strcmp(words[i], "scatter") == 0) mode |= CUT_SCATTER;
    }
    return mode;
}

static void command(char *line) {
    char *save = NULL;
    char *words[8] = {0};
    int count = 0;
    for (char *word = strtok_r(line, " \t\r\n", &save); word != NULL && count < 8; word = strtok_r(NULL, " \t\r\n", &save)) {
        words[count++] = word;
    }
    char *verb = words[0], *arg1 = words[1], *arg2 = words[2];
    if (verb == NULL) return;
    pthread_mutex_lock(&pc.lock);
    if (strcmp(verb, "arm") == 0) {
        int kind = arg1 == NULL ? 0
                   : strcmp(arg1, "io") == 0 ? IO_WRITE | IO_SYNC_WRITE | IO_FSYNC
                   : strcmp(arg1, "write") == 0 ? IO_WRITE | IO_SYNC_WRITE
                   : strcmp(arg1, "sync-write") == 0 ? IO_SYNC_WRITE
                   : strcmp(arg1, "fsync") == 0 ? IO_FSYNC : 0;
        long k = arg2 != NULL ? strtol(arg2, NULL, 10) : 0;
        if (kind == 0 || k <= 0) {
            emit("error usage: arm io|write|sync-write|fsync COUNT [tear] [scatter]\n");
        } else if (pc.power != POWER_ON) {
            emit("ok already-cut\n");
        } else {
            pc.armed = k;
            pc.arm_kind = kind;
            pc.arm_mode = cut_mode(words, count, 3);
            emit("ok armed %s %ld\n", arg1, k);
        }
    } else if (strcmp(verb, "cut") == 0) {
        if (pc.power != POWER_ON) emit("ok already-cut\n");
        else cut_locked("command", NULL, 0, 0, NULL, cut_mode(words, count, 1));
    } else if (strcmp(verb, "release") == 0) {
        power_off_locked();
        emit("ok released\n");
    } else if (strcmp(verb, "stats") == 0) {
        emit("stats {\"power\":\"%s\",\"pendingPages\":%zu,\"writes\":%llu,\"fsyncs\":%llu,\"syncWrites\":%llu,"
             "\"pagesSynced\":%llu,\"reads\":%llu}\n",
             pc.power == POWER_ON ? "on" : pc.power == POWER_OFF ? "off" : "cut", pending_pages(),
             (unsigned long long)pc.writes, (unsigned long long)pc.fsyncs, (unsigned long long)pc.sync_writes,
             (unsigned long long)pc.pages_synced, (unsigned long long)pc.reads);
    } else {
        emit("error unknown command %s\n", verb);
    }
    pthread_mutex_unlock(&pc.lock);
}

static void *control_loop(void *unused) {
    (void)unused;
    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL) command(line);
    pthread_mutex_lock(&pc.lock);
    power_off_locked();
    pthread_mutex_unlock(&pc.lock);
    detach_mount();
    return NULL;
}

/* The control thread blocks the signals libfuse handles, so they reach the loop thread. */
int control_start(void) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, control_loop, NULL);
    if (rc == 0) pthread_detach(thread);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
