/*
 * The volatile write cache: per backing file, the pages written since the last sync.
 * Reads see backing data with those pages on top; a sync writes them to the backing
 * file; a cut frees them unwritten. Callers hold pc.lock.
 */
#define _GNU_SOURCE
#include "powercutfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- page map ---- */

static size_t slot_of(const struct page_map *map, uint64_t index) {
    return (size_t)((index * 0x9E3779B97F4A7C15ULL) >> 17) & (map->capacity - 1);
}

static unsigned char *page_get(const struct page_map *map, uint64_t index) {
    if (map->capacity == 0) return NULL;
    for (size_t i = slot_of(map, index);; i = (i + 1) & (map->capacity - 1)) {
        if (map->slots[i].data == NULL) return NULL;
        if (map->slots[i].index == index) return map->slots[i].data;
    }
}

static int page_put(struct page_map *map, uint64_t index, unsigned char *data);

/* Keeps the table at most half full, so probing stays short. */
static int page_grow(struct page_map *map) {
    struct page_map bigger = {0};
    bigger.capacity = map->capacity ? map->capacity * 2 : 64;
    bigger.slots = calloc(bigger.capacity, sizeof *bigger.slots);
    if (bigger.slots == NULL) return -ENOMEM;
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->slots[i].data != NULL) page_put(&bigger, map->slots[i].index, map->slots[i].data);
    }
    free(map->slots);
    *map = bigger;
    return 0;
}

static int page_put(struct page_map *map, uint64_t index, unsigned char *data) {
    if ((map->count + 1) * 2 > map->capacity) {
        int rc = page_grow(map);
        if (rc != 0) return rc;
    }
    size_t i = slot_of(map, index);
    while (map->slots[i].data != NULL) i = (i + 1) & (map->capacity - 1);
    map->slots[i].index = index;
    map->slots[i].data = data;
    map->count++;
    return 0;
}

static void page_clear(struct page_map *map) {
    for (size_t i = 0; i < map->capacity; i++) free(map->slots[i].data);
    free(map->slots);
    memset(map, 0, sizeof *map);
}

/* ---- nodes ---- */

static struct node **bucket(dev_t dev, ino_t ino) {
    return &pc.buckets[((uint64_t)ino * 31 + (uint64_t)dev) % (sizeof pc.buckets / sizeof pc.buckets[0])];
}

struct node *node_find(dev_t dev, ino_t ino) {
    for (struct node *node = *bucket(dev, ino); node != NULL; node = node->next) {
        if (node->dev == dev && node->ino == ino) return node;
    }
    return NULL;
}

static void last_clear(struct last_write *last) {
    free(last->data);
    memset(last, 0, sizeof *last);
}

/* The node of an open backing file, created on first use. Nodes live as long as the
 * daemon: a closed file's unsynced pages are still in the cache, as on a real disk. */
struct node *node_for_fd(int fd, const char *path) {
    struct stat st;
    if (fstat(fd, &st) != 0) return NULL;
    struct node *node = node_find(st.st_dev, st.st_ino);
    if (node != NULL) {
        if (path != NULL && strcmp(node->path, path) != 0) {
            char *copy = strdup(path);
            if (copy != NULL) {
                free(node->path);
                node->path = copy;
            }
        }
        return node;
    }
    node = calloc(1, sizeof *node);
    if (node == NULL) return NULL;
    node->dev = st.st_dev;
    node->ino = st.st_ino;
    node->size = st.st_size;
    node->path = strdup(path != NULL ? path : "?");
    /* Our own read-write descriptor: the caller's may be write-only (LMDB's O_DSYNC meta
     * descriptor is) or read-only, and syncs happen after it is closed too. */
    node->fd = path != NULL ? openat(pc.rootfd, path, O_RDWR | O_CLOEXEC) : -1;
    if (node->fd < 0) node->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (node->fd < 0 || node->path == NULL) {
        if (node->fd >= 0) close(node->fd);
        free(node->path);
        free(node);
        return NULL;
    }
    struct node **head = bucket(st.st_dev, st.st_ino);
    node->next = *head;
    *head = node;
    return node;
}

int pwrite_all(int fd, const void *buf, size_t size, off_t offset) {
    const char *p = buf;
    while (size > 0) {
        ssize_t n = pwrite(fd, p, size, offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += n;
        size -= (size_t)n;
        offset += n;
    }
    return 0;
}

/* Reads durable bytes; what lies past the backing file's end reads as zeros. */
static int pread_zero_filled(int fd, char *buf, size_t size, off_t offset) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, buf + done, size - done, offset + (off_t)done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) break;
        done += (size_t)n;
    }
    memset(buf + done, 0, size - done);
    return 0;
}

/* The cached page, filled from the backing file on first touch. */
static unsigned char *page_for_write(struct node *node, uint64_t index, int *rc) {
    unsigned char *page = page_get(&node->pages, index);
    if (page != NULL) return page;
    page = malloc(PC_PAGE);
    if (page == NULL) {
        *rc = -ENOMEM;
        return NULL;
    }
    *rc = pread_zero_filled(node->fd, (char *)page, PC_PAGE, (off_t)(index * PC_PAGE));
    if (*rc == 0) *rc = page_put(&node->pages, index, page);
    if (*rc != 0) {
        free(page);
        return NULL;
    }
    return page;
}

/* A write lands in the cache; with `sync` (O_SYNC/O_DSYNC) it is also made durable before
 * the reply, as the kernel promises for such descriptors. A `tearable` one (from write(2),
 * not a page-cache writeback of a shared mmap) becomes the file's newest write. */
int overlay_write(struct node *node, const char *buf, size_t size, off_t offset, int sync, int tearable) {
    size_t done = 0;
    while (done < size) {
        off_t at = offset + (off_t)done;
        uint64_t index = (uint64_t)at / PC_PAGE;
        size_t within = (size_t)((uint64_t)at % PC_PAGE);
        size_t n = PC_PAGE - within < size - done ? PC_PAGE - within : size - done;
        int rc = 0;
        /* A synchronous write goes to the backing file below; only pages cached already
         * must see it too, so that reads of them stay right. */
        unsigned char *page = sync ? page_get(&node->pages, index) : page_for_write(node, index, &rc);
        if (page == NULL && rc != 0) return rc;
        if (page != NULL) memcpy(page + within, buf + done, n);
        done += n;
    }
    if (offset + (off_t)size > node->size) node->size = offset + (off_t)size;
    if (sync) {
        pc.sync_writes++;
        /* Only this write is durable now; older pending pages of the file stay pending. */
        return pwrite_all(node->fd, buf, size, offset);
    }
    if (!tearable) return 0;
    unsigned char *copy = malloc(size ? size : 1);
    if (copy == NULL) return -ENOMEM;
    memcpy(copy, buf, size);
    last_clear(&node->last);
    node->last.seq = ++pc.seq;
    node->last.offset = offset;
    node->last.length = size;
    node->last.data = copy;
    return 0;
}

ssize_t overlay_read(struct node *node, char *buf, size_t size, off_t offset) {
    if (offset >= node->size) return 0;
    if ((off_t)size > node->size - offset) size = (size_t)(node->size - offset);
    int rc = pread_zero_filled(node->fd, buf, size, offset);
    if (rc != 0) return rc;
    if (node->pages.count == 0) return (ssize_t)size;
    uint64_t first = (uint64_t)offset / PC_PAGE, last = ((uint64_t)offset + size - 1) / PC_PAGE;
    for (uint64_t index = first; index <= last; index++) {
        unsigned char *page = page_get(&node->pages, index);
        if (page == NULL) continue;
        off_t page_start = (off_t)(index * PC_PAGE);
        off_t from = page_start > offset ? page_start : offset;
        off_t to = page_start + PC_PAGE < offset + (off_t)size ? page_start + PC_PAGE : offset + (off_t)size;
        memcpy(buf + (from - offset), page + (from - page_start), (size_t)(to - from));
    }
    return (ssize_t)size;
}

/* fsync/fdatasync: every cached page of the file reaches the backing file. */
int node_sync(struct node *node) {
    for (size_t i = 0; i < node->pages.capacity; i++) {
        struct page_slot *slot = &node->pages.slots[i];
        if (slot->data == NULL) continue;
        off_t at = (off_t)(slot->index * PC_PAGE);
        if (at < node->size) {
            size_t n = node->size - at < PC_PAGE ? (size_t)(node->size - at) : PC_PAGE;
            int rc = pwrite_all(node->fd, slot->data, n, at);
            if (rc != 0) return rc;
            pc.pages_synced++;
        }
    }
    page_clear(&node->pages);
    last_clear(&node->last);
    struct stat st;
    if (fstat(node->fd, &st) == 0 && st.st_size < node->size && ftruncate(node->fd, node->size) != 0) return -errno;
    return 0;
}

/* Truncation is a metadata change: it is durable at once, with the file's earlier writes. */
int node_truncate(struct node *node, int fd, off_t size) {
    int rc = node_sync(node);
    if (rc != 0) return rc;
    if (ftruncate(fd, size) != 0) return -errno;
    node->size = size;
    return 0;
}

/* With `scatter`, each cached 512-byte sector reaches the backing file with probability
 * 1/2 before the rest is dropped: a disk that had written back part of its cache, in no
 * particular order. Returns the sectors written. */
static uint64_t scatter_page(struct node *node, const struct page_slot *slot) {
    uint64_t written = 0;
    off_t page_start = (off_t)(slot->index * PC_PAGE);
    for (off_t at = page_start; at < page_start + PC_PAGE && at < node->size; at += PC_SECTOR) {
        if ((pc_random() & 1) == 0) continue;
        size_t n = node->size - at < PC_SECTOR ? (size_t)(node->size - at) : PC_SECTOR;
        if (pwrite_all(node->fd, slot->data + (at - page_start), n, at) == 0) written++;
    }
    return written;
}

/* The cut: every page not yet synced is gone (take the write to tear first), except the
 * sectors `scatter` lets through. Returns the pages dropped; lists them per file in
 * `files_json` ([{"file": …, "pages": n}, …]). */
size_t overlay_drop_all(char *files_json, size_t cap, int scatter, uint64_t *scattered) {
    *scattered = 0;
    size_t pages = 0, used = 0;
    used += (size_t)snprintf(files_json, cap, "[");
    for (size_t b = 0; b < sizeof pc.buckets / sizeof pc.buckets[0]; b++) {
        for (struct node *node = pc.buckets[b]; node != NULL; node = node->next) {
            if (node->pages.count > 0 && used + 1200 < cap) {
                char file[1024];
                json_string(file, sizeof file, node->path);
                used += (size_t)snprintf(files_json + used, cap - used, "%s{\"file\":%s,\"pages\":%zu}",
                                         used > 1 ? "," : "", file, node->pages.count);
            }
            pages += node->pages.count;
            for (size_t i = 0; scatter && i < node->pages.capacity; i++) {
                if (node->pages.slots[i].data != NULL) *scattered += scatter_page(node, &node->pages.slots[i]);
            }
            page_clear(&node->pages);
            last_clear(&node->last);
            struct stat st;
            if (fstat(node->fd, &st) == 0) node->size = st.st_size;
        }
    }
    snprintf(files_json + used, cap - used, "]");
    return pages;
}

/* The file whose newest write is the newest of all writes not yet synced, or NULL. */
struct node *newest_unsynced(void) {
    struct node *newest = NULL;
    for (size_t b = 0; b < sizeof pc.buckets / sizeof pc.buckets[0]; b++) {
        for (struct node *node = pc.buckets[b]; node != NULL; node = node->next) {
            if (node->last.data != NULL && (newest == NULL || node->last.seq > newest->last.seq)) newest = node;
        }
    }
    return newest;
}
