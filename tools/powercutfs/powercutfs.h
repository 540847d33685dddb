/*
 * powercutfs: a FUSE pass-through file system that behaves like a disk with a volatile
 * write cache. Every write is held in this daemon's memory until fsync/fdatasync (or an
 * O_SYNC/O_DSYNC write) makes it durable by writing it to the backing directory; a
 * "cut" command drops whatever is still held — what a power cut does to such a disk.
 * tools/powercut drives it; see `tools/powercut --help`.
 */
#ifndef POWERCUTFS_H
#define POWERCUTFS_H

#define FUSE_USE_VERSION 31
#include <fuse.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PC_PAGE 4096
#define PC_SECTOR 512

/* Pages written but not yet durable, keyed by page index (open addressing). */
struct page_slot {
    uint64_t index;
    unsigned char *data; /* NULL: empty slot */
};

struct page_map {
    struct page_slot *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
};

/* The newest write to a file that is not durable yet: the one a --tear cut tears. */
struct last_write {
    uint64_t seq; /* 0: none */
    off_t offset;
    size_t length;
    unsigned char *data;
};

/* One backing file (by device and inode, so renames and hard links are the same node). */
struct node {
    dev_t dev;
    ino_t ino;
    int fd;    /* the backing file, read-write when it could be opened so */
    off_t size; /* the size readers see: durable size plus pending extension */
    char *path; /* relative to the backing root, for reports */
    struct page_map pages;
    struct last_write last;
    struct node *next;
};

/* An open file: the backing descriptor and whether every write on it is synchronous. */
struct handle {
    int fd;
    int sync;
    struct node *node;
};

enum power { POWER_ON, POWER_CUT_FROZEN, POWER_OFF };

/* The requests an armed cut can land on. */
enum io_kind { IO_WRITE = 1, IO_SYNC_WRITE = 2, IO_FSYNC = 4 };

/* What else a cut does besides dropping the cache. */
enum cut_mode { CUT_TEAR = 1, CUT_SCATTER = 2 };

/* Everything is guarded by `lock`: FUSE requests run one at a time on the loop thread,
 * the control thread (commands on stdin) takes the same lock. */
struct pc_state {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    enum power power;
    long armed;    /* > 0: cut at the armed-th matching request from now */
    int arm_kind;  /* IO_* bits the armed count counts */
    int arm_mode;  /* CUT_* bits for the armed cut */
    uint64_t seq;
    uint64_t rng;
    int rootfd;
    const char *mountpoint;
    struct node *buckets[256];
    uint64_t writes, fsyncs, sync_writes, pages_synced, reads;
};

extern struct pc_state pc;

/* overlay.c */
struct node *node_find(dev_t dev, ino_t ino);
struct node *node_for_fd(int fd, const char *path);
int overlay_write(struct node *node, const char *buf, size_t size, off_t offset, int sync, int tearable);
ssize_t overlay_read(struct node *node, char *buf, size_t size, off_t offset);
int node_sync(struct node *node);
int node_truncate(struct node *node, int fd, off_t size);
size_t overlay_drop_all(char *files_json, size_t cap, int scatter, uint64_t *scattered);
struct node *newest_unsynced(void);
int pwrite_all(int fd, const void *buf, size_t size, off_t offset);

/* control.c */
int gate_enter(void);                  /* 0 with the lock held, or -EIO (lock released) */
void gate_leave(void);
int gate_io(enum io_kind kind, struct node *node, off_t offset, size_t length, const void *data);
int control_start(void);
void emit(const char *format, ...) __attribute__((format(printf, 1, 2)));
uint64_t pc_random(void);
void json_string(char *out, size_t cap, const char *text);

/* ops.c */
extern const struct fuse_operations powercut_operations;
const char *relative(const char *path);

#endif
