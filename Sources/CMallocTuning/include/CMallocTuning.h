// glibc's mallopt, which Swift's Glibc module does not import (malloc.h is not in it).
#ifndef C_MALLOC_TUNING_H
#define C_MALLOC_TUNING_H

/// mallopt(M_MMAP_THRESHOLD, mmap_threshold) and mallopt(M_ARENA_MAX, arena_max).
/// Returns 1 when both were applied, 0 when either was refused or this is not glibc.
int c_malloc_tuning_apply(int mmap_threshold, int arena_max);

#endif
