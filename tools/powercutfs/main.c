/*
 * powercutfs [--seed N] BACKING MOUNTPOINT
 *
 * Mounts BACKING at MOUNTPOINT in the foreground, single-threaded, and takes power
 * commands on stdin (see control.c). Prints "ready" once the kernel has connected.
 */
#define _GNU_SOURCE
#include "powercutfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void) {
    fprintf(stderr, "usage: powercutfs [--seed N] BACKING MOUNTPOINT\n"
                    "  (built and driven by tools/powercut; see tools/powercut --help)\n");
    return 64;
}

int main(int argc, char **argv) {
    const char *backing = NULL;
    const char *mountpoint = NULL;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-') {
            return usage();
        } else if (backing == NULL) {
            backing = argv[i];
        } else if (mountpoint == NULL) {
            mountpoint = argv[i];
        } else {
            return usage();
        }
    }
    if (backing == NULL || mountpoint == NULL) return usage();
    pc.rng = seed;
    pc.mountpoint = mountpoint;
    pc.rootfd = open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pc.rootfd < 0) {
        fprintf(stderr, "powercutfs: cannot open the backing directory %s: %s\n", backing, strerror(errno));
        return 66;
    }

    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    if (fuse_opt_add_arg(&args, argv[0]) != 0 || fuse_opt_add_arg(&args, "-o") != 0 ||
        fuse_opt_add_arg(&args, "fsname=powercut,subtype=powercut") != 0) {
        fprintf(stderr, "powercutfs: out of memory\n");
        return 70;
    }
    struct fuse *fuse = fuse_new(&args, &powercut_operations, sizeof powercut_operations, NULL);
    if (fuse == NULL) {
        fprintf(stderr, "powercutfs: fuse_new failed\n");
        return 70;
    }
    if (fuse_mount(fuse, mountpoint) != 0) {
        fprintf(stderr, "powercutfs: cannot mount at %s (needs /dev/fuse, and root or fusermount3)\n", mountpoint);
        fuse_destroy(fuse);
        return 71;
    }
    struct fuse_session *session = fuse_get_session(fuse);
    if (fuse_set_signal_handlers(session) != 0 || control_start() != 0) {
        fprintf(stderr, "powercutfs: cannot set up signal handlers or the control thread\n");
        fuse_unmount(fuse);
        fuse_destroy(fuse);
        return 71;
    }
    int rc = fuse_loop(fuse);
    fuse_remove_signal_handlers(session);
    fuse_unmount(fuse);
    fuse_destroy(fuse);
    fuse_opt_free_args(&args);
    return rc == 0 ? 0 : 1;
}
