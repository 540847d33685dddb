#ifndef CLMDB_SHIM_H
#define CLMDB_SHIM_H

#include <lmdb.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

/* MDB_val is a struct of size and pointer; these helpers keep Swift free of
 * pointer juggling where it would otherwise need to build one field by field. */
static inline MDB_val clmdb_val(const void *data, size_t size) {
    MDB_val value;
    value.mv_size = size;
    value.mv_data = (void *)data;
    return value;
}

/* The version the library was built against, for error messages. */
static inline const char *clmdb_version(void) {
    return MDB_VERSION_STRING;
}

/* The file system type (statfs f_type) of a path, or 0 when unknown; Glibc's Swift
 * overlay does not export sys/vfs.h. */
static inline unsigned long clmdb_fs_type(const char *path) {
#ifdef __linux__
    struct statfs info;
    if (statfs(path, &info) != 0) return 0;
    return (unsigned long)info.f_type;
#else
    (void)path;
    return 0;
#endif
}

#endif
