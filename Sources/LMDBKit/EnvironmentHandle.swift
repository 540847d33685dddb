internal import CLMDB

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Creates and opens the `MDB_env` behind an `Environment`, and turns what can go wrong
/// into `EnvironmentError`s that say what to do.
enum EnvironmentHandle {
    /// Opens the environment in `path` with `options`.
    ///
    /// A read-only open of a store whose `lock.mdb` this user cannot write (a store made
    /// read-only with chmod, or owned by another user) falls back to `MDB_NOLOCK` when no
    /// process has the store open: with nobody writing there is nothing to lock against.
    /// (On a read-only file system LMDB itself goes without the lock file.)
    static func open(path: String, options: EnvironmentOptions) throws(EnvironmentError) -> OpaquePointer {
        var flags = UInt32(MDB_NOTLS)
        if options.readOnly { flags |= UInt32(MDB_RDONLY) }
        switch options.durability {
        case .full: break
        case .noMetaSync: flags |= UInt32(MDB_NOMETASYNC)
        case .noSync: flags |= UInt32(MDB_NOSYNC)
        }
        do {
            return try openHandle(path: path, options: options, flags: flags)
        } catch let error where error == .invalid || error == .versionMismatch {
            // Both meta pages passed their magic and version checks before LMDB opened the
            // files, so these codes come from lock.mdb: garbage, or another LMDB's format, in
            // a file another process holds (LMDB rebuilds it when it is the only user).
            throw .lockFileInUse(path, error)
        } catch .permissionDenied where options.readOnly {
            guard !LockFileProbe.isHeld(in: path) else { throw .lockFileNotWritable(path) }
            do {
                return try openHandle(path: path, options: options, flags: flags | UInt32(MDB_NOLOCK))
            } catch {
                throw .lmdb(path, "cannot open the store", error)
            }
        } catch {
            throw .lmdb(path, "cannot open the store", error)
        }
    }

    private static func openHandle(path: String, options: EnvironmentOptions, flags: UInt32) throws(LMDBError) -> OpaquePointer {
        var pointer: OpaquePointer?
        try check(mdb_env_create(&pointer))
        guard let handle = pointer else { throw LMDBError.noMemory }
        do {
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(options.maxDatabases)))
            try check(mdb_env_set_maxreaders(handle, options.maxReaders))
            try check(mdb_env_set_mapsize(handle, options.mapSize))
            try check(mdb_env_open(handle, path, flags, mdb_mode_t(options.fileMode)))
        } catch {
            mdb_env_close(handle)
            throw error
        }
        return handle
    }
}

/// Whether any process has a store open, from the `fcntl` lock every LMDB process holds on
/// the first byte of `lock.mdb` while it has the environment open.
enum LockFileProbe {
    /// True when a process holds the lock, or when that cannot be told.
    static func isHeld(in directory: String) -> Bool {
        let descriptor = Glibc.open(directory + "/lock.mdb", O_RDONLY)
        guard descriptor >= 0 else { return errno != ENOENT }
        defer { close(descriptor) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 1
        guard fcntl(descriptor, F_GETLK, &lock) == 0 else { return true }
        return lock.l_type != Int16(F_UNLCK)
    }
}
