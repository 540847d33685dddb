// Two glibc calls the exec embedder needs that Swift's Glibc module does not import (they
// are declared only under _GNU_SOURCE / __USE_MISC). See exec_spawn.c.
#ifndef C_EXEC_SPAWN_H
#define C_EXEC_SPAWN_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a child another thread
/// starts at the same moment cannot inherit them. Returns 0, or -1 with errno set.
int c_exec_spawn_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np(actions, from) where glibc has it (2.34+):
/// the child closes every descriptor from `from` up. Returns 0, an error number, or
/// ENOSYS when this C library lacks it (the caller then relies on close-on-exec alone).
int c_exec_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
