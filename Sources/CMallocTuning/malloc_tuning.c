#include "CMallocTuning.h"

#if defined(__linux__)
#include <features.h>  // defines __GLIBC__ under glibc (musl has the header too, without it)
#endif

#if defined(__GLIBC__)
#include <malloc.h>

int c_malloc_tuning_apply(int mmap_threshold, int arena_max) {
    // A fixed threshold also turns off glibc's dynamic one, which rises to the size of the
    // largest block freed so far, so later large blocks come from (and stay in) the heap.
    int threshold = mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    int arenas = mallopt(M_ARENA_MAX, arena_max);
    return threshold == 1 && arenas == 1;
}
#else
int c_malloc_tuning_apply(int mmap_threshold, int arena_max) {
    (void)mmap_threshold;
    (void)arena_max;
    return 0;
}
#endif
