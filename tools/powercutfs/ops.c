/*
 * The FUSE operations: a pass-through to the backing directory, except that file data goes
 * through the volatile cache (overlay.c). Names, directories, modes, times and sizes set by
 * truncate are durable at once — the simulation is about data that was written but not
 * synced. Every request passes the power gate (control.c) first.
 */
#define _GNU_SOURCE
#include "powercutfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* A FUSE path ("/a/b") relative to the backing root ("a/b", or "." for the root). */
const char *relative(const char *path) {
    if (path == NULL || path[0] == '\0' || strcmp(path, "/") == 0) return ".";
    return path[0] == '/' ? path + 1 : path;
}

static struct handle *handle_of(struct fuse_file_info *fi) {
    return fi != NULL ? (struct handle *)(uintptr_t)fi->fh : NULL;
}

/* Runs `expression` (which yields 0 or -errno) inside the power gate. */
#define GATED(expression)                      \
    do {                                       \
        int gate_rc_ = gate_enter();           \
        if (gate_rc_ != 0) return gate_rc_;    \
        int result_ = (expression);            \
        gate_leave();                          \
        return result_;                        \
    } while (0)

static int status(int rc) { return rc == 0 ? 0 : -errno; }

static int do_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    struct handle *h = handle_of(fi);
    int rc = h != NULL ? fstat(h->fd, st) : fstatat(pc.rootfd, relative(path), st, AT_SYMLINK_NOFOLLOW);
    if (rc != 0) return -errno;
    struct node *node = S_ISREG(st->st_mode) ? node_find(st->st_dev, st->st_ino) : NULL;
    if (node != NULL) {
        st->st_size = node->size;
        st->st_blocks = (node->size + 511) / 512;
    }
    return 0;
}

static int pc_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    GATED(do_getattr(path, st, fi));
}

static int pc_access(const char *path, int mask) {
    GATED(status(faccessat(pc.rootfd, relative(path), mask, 0)));
}

static int do_readlink(const char *path, char *buf, size_t size) {
    if (size == 0) return -EINVAL;
    ssize_t n = readlinkat(pc.rootfd, relative(path), buf, size - 1);
    if (n < 0) return -errno;
    buf[n] = '\0';
    return 0;
}

static int pc_readlink(const char *path, char *buf, size_t size) { GATED(do_readlink(path, buf, size)); }

static int pc_mkdir(const char *path, mode_t mode) { GATED(status(mkdirat(pc.rootfd, relative(path), mode))); }

static int pc_mknod(const char *path, mode_t mode, dev_t dev) {
    GATED(status(mknodat(pc.rootfd, relative(path), mode, dev)));
}

static int pc_unlink(const char *path) { GATED(status(unlinkat(pc.rootfd, relative(path), 0))); }

static int pc_rmdir(const char *path) { GATED(status(unlinkat(pc.rootfd, relative(path), AT_REMOVEDIR))); }

static int pc_symlink(const char *target, const char *path) {
    GATED(status(symlinkat(target, pc.rootfd, relative(path))));
}

static int pc_rename(const char *from, const char *to, unsigned int flags) {
    GATED(status(flags != 0 ? renameat2(pc.rootfd, relative(from), pc.rootfd, relative(to), flags)
                            : renameat(pc.rootfd, relative(from), pc.rootfd, relative(to))));
}

static int pc_link(const char *from, const char *to) {
    GATED(status(linkat(pc.rootfd, relative(from), pc.rootfd, relative(to), 0)));
}

static int do_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
    struct handle *h = handle_of(fi);
    return status(h != NULL ? fchmod(h->fd, mode) : fchmodat(pc.rootfd, relative(path), mode, 0));
}

static int pc_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) { GATED(do_chmod(path, mode, fi)); }

static int do_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
    struct handle *h = handle_of(fi);
    return status(h != NULL ? fchown(h->fd, uid, gid)
                            : fchownat(pc.rootfd, relative(path), uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int pc_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
    GATED(do_chown(path, uid, gid, fi));
}

static int do_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
    struct handle *h = handle_of(fi);
    return status(h != NULL ? futimens(h->fd, tv)
                            : utimensat(pc.rootfd, relative(path), tv, AT_SYMLINK_NOFOLLOW));
}

static int pc_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
    GATED(do_utimens(path, tv, fi));
}

static int do_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    struct handle *h = handle_of(fi);
    if (h != NULL) return node_truncate(h->node, h->fd, size);
    int fd = openat(pc.rootfd, relative(path), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct node *node = node_for_fd(fd, relative(path));
    int rc = node != NULL ? node_truncate(node, fd, size) : -ENOMEM;
    close(fd);
    return rc;
}

static int pc_truncate(const char *path, off_t size, struct fuse_file_info *fi) { GATED(do_truncate(path, size, fi)); }

/* Opens the backing file. Sync flags are ours to honour (a synchronous descriptor's writes
 * are made durable before the reply); O_APPEND is dropped because the kernel already
 * turned appends into positioned writes. */
static int do_open(const char *path, struct fuse_file_info *fi, int create, mode_t mode) {
    int flags = fi->flags;
    int sync = (flags & (O_SYNC | O_DSYNC)) != 0;
    int truncate = (flags & O_TRUNC) != 0;
    int backing = flags & ~(O_APPEND | O_SYNC | O_DSYNC | O_DIRECT | O_TRUNC | O_NOCTTY);
    if (!create) backing &= ~(O_CREAT | O_EXCL);
    /* O_NONBLOCK: a FIFO must not block the loop; it has no effect on regular files. */
    int fd = openat(pc.rootfd, relative(path), backing | O_CLOEXEC | O_NONBLOCK, mode);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* Only regular files have data to cache; anything else is refused rather than
         * passed through unsimulated. */
        close(fd);
        return -EOPNOTSUPP;
    }
    struct handle *h = calloc(1, sizeof *h);
    struct node *node = h != NULL ? node_for_fd(fd, relative(path)) : NULL;
    if (node == NULL) {
        free(h);
        close(fd);
        return -ENOMEM;
    }
    if (truncate) {
        int rc = node_truncate(node, fd, 0);
        if (rc != 0) {
            free(h);
            close(fd);
            return rc;
        }
    }
    h->fd = fd;
    h->sync = sync;
    h->node = node;
    fi->fh = (uint64_t)(uintptr_t)h;
    return 0;
}

static int pc_open(const char *path, struct fuse_file_info *fi) { GATED(do_open(path, fi, 0, 0)); }

static int pc_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    GATED(do_open(path, fi, 1, mode));
}

static int pc_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
    (void)path;
    int rc = gate_enter();
    if (rc != 0) return rc;
    pc.reads++;
    ssize_t n = overlay_read(handle_of(fi)->node, buf, size, offset);
    gate_leave();
    return (int)n;
}

static int pc_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
    (void)path;
    struct handle *h = handle_of(fi);
    int rc = gate_enter();
    if (rc != 0) return rc;
    /* A writeback of a shared mmap's dirty page is the kernel's doing, not a write anyone waits on. */
    int writeback = fi->writepage != 0;
    if (!writeback) rc = gate_io(h->sync ? IO_SYNC_WRITE : IO_WRITE, h->node, offset, size, buf);
    if (rc == 0) rc = overlay_write(h->node, buf, size, offset, h->sync, !writeback);
    gate_leave();
    return rc == 0 ? (int)size : rc;
}

/* fsync and fdatasync write out all of the file's cached pages (the cache holds data and
 * sizes alike). Except on an O_SYNC/O_DSYNC descriptor: there the kernel sends an fsync
 * after every write, meant for that write's range only, which is durable already — syncing
 * the whole file would make other writes durable that a real disk could still lose. */
static int pc_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)path;
    (void)datasync;
    struct handle *h = handle_of(fi);
    int rc = gate_enter();
    if (rc != 0) return rc;
    rc = gate_io(IO_FSYNC, h->node, 0, 0, NULL);
    if (rc == 0 && !h->sync) rc = node_sync(h->node);
    gate_leave();
    return rc;
}

static int pc_flush(const char *path, struct fuse_file_info *fi) {
    (void)path;
    (void)fi;
    GATED(0); /* close(2) makes nothing durable */
}

/* Release runs even after the cut, so descriptors of killed processes are closed. */
static int pc_release(const char *path, struct fuse_file_info *fi) {
    (void)path;
    struct handle *h = handle_of(fi);
    pthread_mutex_lock(&pc.lock);
    close(h->fd);
    free(h);
    pthread_mutex_unlock(&pc.lock);
    return 0;
}

static int pc_statfs(const char *path, struct statvfs *st) {
    (void)path;
    GATED(status(fstatvfs(pc.rootfd, st)));
}

static int do_opendir(const char *path, struct fuse_file_info *fi) {
    int fd = openat(pc.rootfd, relative(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        int error = errno;
        close(fd);
        return -error;
    }
    fi->fh = (uint64_t)(uintptr_t)dir;
    return 0;
}

static int pc_opendir(const char *path, struct fuse_file_info *fi) { GATED(do_opendir(path, fi)); }

static int do_readdir(void *buf, fuse_fill_dir_t filler, struct fuse_file_info *fi) {
    DIR *dir = (DIR *)(uintptr_t)fi->fh;
    rewinddir(dir);
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        struct stat st = {0};
        st.st_ino = entry->d_ino;
        st.st_mode = (mode_t)DTTOIF(entry->d_type);
        if (filler(buf, entry->d_name, &st, 0, 0) != 0) break;
    }
    return -errno;
}

static int pc_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
    (void)path;
    (void)offset;
    (void)flags;
    GATED(do_readdir(buf, filler, fi));
}

static int pc_releasedir(const char *path, struct fuse_file_info *fi) {
    (void)path;
    pthread_mutex_lock(&pc.lock);
    closedir((DIR *)(uintptr_t)fi->fh);
    pthread_mutex_unlock(&pc.lock);
    return 0;
}

static int pc_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)path;
    (void)datasync;
    (void)fi;
    GATED(0); /* names are durable at once */
}

static void *pc_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
    /* Writes must reach this daemon when write(2) returns, not whenever the kernel
     * flushes: that is what lets it know exactly which writes were synced. */
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    cfg->use_ino = 1;
    /* Nobody else changes the backing files while mounted, so cached pages stay valid. */
    cfg->kernel_cache = 1;
    /* Unlinking an open file really unlinks it; no .fuse_hidden files in the backing dir. */
    cfg->hard_remove = 1;
    cfg->nullpath_ok = 1;
    pthread_mutex_lock(&pc.lock);
    emit("ready\n");
    pthread_mutex_unlock(&pc.lock);
    return NULL;
}

const struct fuse_operations powercut_operations = {
    .getattr = pc_getattr,
    .readlink = pc_readlink,
    .mknod = pc_mknod,
    .mkdir = pc_mkdir,
    .unlink = pc_unlink,
    .rmdir = pc_rmdir,
    .symlink = pc_symlink,
    .rename = pc_rename,
    .link = pc_link,
    .chmod = pc_chmod,
    .chown = pc_chown,
    .truncate = pc_truncate,
    .open = pc_open,
    .read = pc_read,
    .write = pc_write,
    .statfs = pc_statfs,
    .flush = pc_flush,
    .release = pc_release,
    .fsync = pc_fsync,
    .opendir = pc_opendir,
    .readdir = pc_readdir,
    .releasedir = pc_releasedir,
    .fsyncdir = pc_fsyncdir,
    .init = pc_init,
    .access = pc_access,
    .create = pc_create,
    .utimens = pc_utimens,
};
