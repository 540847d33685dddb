internal import CLMDB
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An open LMDB environment: one directory holding `data.mdb` and `lock.mdb`.
///
/// LMDB forbids opening the same environment twice in one process (closing either copy
/// would drop the other's `fcntl` locks), so `open(path:options:)` hands back the instance
/// that is already open for a path. The environment closes when the last reference goes.
///
/// Every transaction holds `resizeLock` shared; growing the map on `MDB_MAP_FULL` takes it
/// exclusively, because LMDB may change the map size only while the process has no
/// transaction open.
public final class Environment: @unchecked Sendable {
    let handle: OpaquePointer
    /// The environment's directory, as given when it was opened.
    public let path: String
    /// The options it was opened with.
    public let options: EnvironmentOptions
    let identity: FileIdentity
    let resizeLock = ReadWriteLock()
    private let currentMapSize: Mutex<Int>
    /// Handles opened so far. LMDB forbids opening databases from concurrent transactions,
    /// so `openDatabase` opens under this lock and hands out cached handles afterwards.
    private let openedDatabases = Mutex<[String: Database]>([:])
    /// Where `data.mdb` is mapped; it moves when the map is resized.
    private let mapRange: Mutex<MapRange?>
    private let dataDescriptor: Int32
    /// `data.mdb`'s size when last looked at. A sound file only grows, so transactions start
    /// from it and look again only when a key or value lies past it: an `fstat` for every
    /// transaction was a tenth of a point read.
    private let knownFileSize = Mutex<Int>(0)
    /// This store's entry in `FaultGuard`, when the guard is installed.
    private let guardSlot: Int?

    private init(handle: OpaquePointer, path: String, options: EnvironmentOptions, identity: FileIdentity, mapSize: Int) {
        self.handle = handle
        self.path = path
        self.options = options
        self.identity = identity
        self.currentMapSize = Mutex(mapSize)
        var descriptor: Int32 = -1
        if mdb_env_get_fd(handle, &descriptor) != MDB_SUCCESS { descriptor = -1 }
        self.dataDescriptor = descriptor
        let range = MapLocator.mapping(ofDataFileIn: path)
        self.mapRange = Mutex(range)
        self.guardSlot = FaultGuard.register(path, range: range)
        if let guardSlot { FaultGuard.watchAssertions(of: handle, slot: guardSlot) }
    }

    /// What a transaction may read of the map: up to the file's size when last looked at,
    /// or, with `lookingAgain`, its size now (`nil` when the map could not be located or the
    /// file not looked at; then nothing is checked).
    func readableWindow(lookingAgain: Bool) -> MapWindow? {
        guard options.checksMapBounds, let range = mapRange.withLock({ $0 }), dataDescriptor >= 0 else { return nil }
        guard lookingAgain else { return range.window(fileSize: knownFileSize.withLock { $0 }) }
        var info = stat()
        guard fstat(dataDescriptor, &info) == 0 else { return nil }
        knownFileSize.withLock { $0 = Int(info.st_size) }
        return range.window(fileSize: Int(info.st_size))
    }

    /// Looks the map up again after LMDB remapped it (only while no transaction is open).
    private func relocateMap() {
        let range = MapLocator.mapping(ofDataFileIn: path)
        mapRange.withLock { $0 = range }
        if let guardSlot { FaultGuard.update(guardSlot, range: range) }
    }

    deinit {
        EnvironmentRegistry.shared.closing(identity) {
            if let guardSlot { FaultGuard.unregister(guardSlot) }
            mdb_env_close(handle)
        }
    }

    /// Opens the environment in `path`, or returns the instance already open in this process.
    ///
    /// Creates the directory's files when they are missing, unless `options.readOnly` is set.
    /// Runs `mdb_reader_check` to clear reader slots left by dead processes, checks that
    /// `data.mdb` is not shorter than its meta page says, and refuses network file systems.
    /// - Parameters:
    ///   - path: An existing directory.
    ///   - options: Map sizes, limits, durability, read-only.
    /// - Returns: The open environment.
    /// - Throws: `EnvironmentError` naming the path and what to do.
    public static func open(path: String, options: EnvironmentOptions = .init()) throws(EnvironmentError) -> Environment {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .missing(path) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(path) }
        if let type = FileSystemCheck.networkFileSystemName(at: path) {
            throw .networkFileSystem(path, type: type)
        }
        if options.readOnly {
            // A missing or empty data file is no store; LMDB would try to initialise it.
            var dataInfo = stat()
            guard stat(path + "/data.mdb", &dataInfo) == 0, dataInfo.st_size > 0 else { throw .missing(path) }
        }
        if let code = DataFileCheck.headerProblem(in: path) {
            throw .lmdb(path, "cannot open the store", code)
        }
        if let problem = DataFileCheck.metaProblem(in: path) {
            throw .damagedMeta(path, problem)
        }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        return try EnvironmentRegistry.shared.openOrReuse(identity) { () throws(EnvironmentError) -> Environment in
            try makeEnvironment(path: path, options: options, identity: identity)
        } validate: { (existing) throws(EnvironmentError) in
            if existing.options.readOnly && !options.readOnly { throw .openedDifferently(path) }
        }
    }

    private static func makeEnvironment(path: String, options: EnvironmentOptions, identity: FileIdentity) throws(EnvironmentError) -> Environment {
        let handle = try EnvironmentHandle.open(path: path, options: options)
        var envInfo = MDB_envinfo()
        var envStat = MDB_stat()
        mdb_env_info(handle, &envInfo)
        mdb_env_stat(handle, &envStat)
        // Root pages past the end of the file would make LMDB read unmapped pages (SIGBUS);
        // catch a truncated file here instead. (The last allocated page is no measure: a
        // page allocated and freed in one transaction is never written, so a sound file may
        // end before it.)
        if let (needed, actual) = DataFileCheck.truncation(in: path, pageSize: Int(envStat.ms_psize)) {
            mdb_env_close(handle)
            throw .truncated(path, expected: needed, actual: actual)
        }
        var dead: Int32 = 0
        mdb_reader_check(handle, &dead)
        // Another process may have grown the map past our setting; LMDB adopts the larger size.
        let mapSize = max(envInfo.me_mapsize, options.mapSize)
        return Environment(handle: handle, path: path, options: options, identity: identity, mapSize: mapSize)
    }

    /// The map size currently in force, in bytes.
    public var mapSize: Int { currentMapSize.withLock { $0 } }

    /// Opens (and with `create`, creates) a named database.
    ///
    /// Wraps `mdb_dbi_open`, in a transaction of its own and serialised with every other
    /// call here, as LMDB requires; a handle once opened is cached. Do not call it from
    /// inside another transaction of this environment.
    /// - Returns: The handle, or `nil` when the database does not exist and `create` is false.
    public func openDatabase(named name: String, create: Bool, flags: DatabaseFlags = []) throws -> Database? {
        try openedDatabases.withLock { opened in
            if let known = opened[name] { return known }
            let database: Database?
            if create && !options.readOnly {
                database = try write { txn in try txn.openDatabase(named: name, create: true, flags: flags) }
            } else {
                database = try read { txn in try txn.openDatabase(named: name, create: false, flags: flags) }
            }
            if let database { opened[name] = database }
            return database
        }
    }

    /// Runs `body` in a read-only transaction.
    ///
    /// - Parameter body: Reads through the transaction; the transaction cannot escape it.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or an `LMDBError` from `mdb_txn_begin`.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        try FaultGuard.marking(guardSlot) { try readUnmarked(body) }
    }

    private func readUnmarked<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try resizeLock.withShared {
                    let txn = try ReadTransaction(environment: self, flags: UInt32(MDB_RDONLY))
                    defer { txn.abort() }
                    let result = try body(txn)
                    try txn.commitRead()
                    return result
                }
            } catch LMDBError.mapResized {
                try adoptMapSize()
            }
        }
    }

    /// Runs `body` in a write transaction: commits when it returns, aborts when it throws.
    ///
    /// When the map fills up, the transaction is aborted, the map grows (doubling, up to
    /// `maxMapSize`) and `body` runs again, so `body` must not have effects outside the
    /// transaction that cannot be repeated.
    /// - Parameter body: Reads and writes through the transaction.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or an `LMDBError` from LMDB (`mapFull` once the map is at
    ///   its maximum, `noSpace` when the disk is full, `permissionDenied` when the environment
    ///   was opened read-only).
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        guard !options.readOnly else { throw LMDBError.permissionDenied }
        do {
            return try FaultGuard.marking(guardSlot) { try writeUnmarked(body) }
        } catch let error as LMDBError where error.meansDamagedFile {
            // LMDB may have changed damaged pages in memory on the way to this error; with
            // the guard installed the process ends here, as after a fault, with its message.
            FaultGuard.exitForDamage(guardSlot)
            throw error
        }
    }

    private func writeUnmarked<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try resizeLock.withShared {
                    let txn = try WriteTransaction(environment: self)
                    do {
                        let result = try body(txn)
                        if txn.sawMapFull { throw LMDBError.mapFull }
                        try txn.commit()
                        return result
                    } catch {
                        txn.abort()
                        if txn.sawMapFull { throw LMDBError.mapFull }
                        throw error
                    }
                }
            } catch LMDBError.mapFull {
                try growMap()
            } catch LMDBError.mapResized {
                try adoptMapSize()
            }
        }
    }

    /// Grows the map, or throws `mapFull` when it is already at its maximum.
    private func growMap() throws {
        try resizeLock.withExclusive { () throws(LMDBError) in
            let current = currentMapSize.withLock { $0 }
            guard current < options.maxMapSize else { throw LMDBError.mapFull }
            let next = min(options.maxMapSize, current > options.maxMapSize / 2 ? options.maxMapSize : current * 2)
            try check(mdb_env_set_mapsize(handle, next))
            currentMapSize.withLock { $0 = next }
            relocateMap()
        }
    }

    /// Adopts the map size another process set (`MDB_MAP_RESIZED`).
    private func adoptMapSize() throws {
        try resizeLock.withExclusive { () throws(LMDBError) in
            try check(mdb_env_set_mapsize(handle, 0))
            var info = MDB_envinfo()
            mdb_env_info(handle, &info)
            currentMapSize.withLock { $0 = info.me_mapsize }
            relocateMap()
        }
    }

    /// Flushes the data buffers to disk; needed only with weaker durability.
    ///
    /// Wraps `mdb_env_sync`.
    public func sync() throws {
        try check(mdb_env_sync(handle, 1))
    }

    /// Clears reader slots left by processes that died; returns how many were cleared.
    ///
    /// Wraps `mdb_reader_check`.
    @discardableResult
    public func clearStaleReaders() throws -> Int {
        var dead: Int32 = 0
        try check(mdb_reader_check(handle, &dead))
        return Int(dead)
    }

    /// Writes a compacted copy of the environment into `directory`, which must exist and
    /// be empty. Safe while other transactions run: it reads one consistent snapshot.
    ///
    /// Wraps `mdb_env_copy2` with `MDB_CP_COMPACT`.
    public func copyCompacted(to directory: String) throws {
        try FaultGuard.marking(guardSlot) {
            try resizeLock.withShared { () throws(LMDBError) in
                try check(mdb_env_copy2(handle, directory, UInt32(MDB_CP_COMPACT)))
            }
        }
    }

    /// Sizes LMDB reports for the environment.
    public struct Statistics: Sendable {
        /// The size of a database page, in bytes.
        public var pageSize: Int
        /// The number of the last page in use.
        public var lastPage: Int
        /// The map's current size, in bytes.
        public var mapSize: Int
        /// Reader slots in use, across all processes.
        public var readersInUse: Int
        /// Reader slots there are.
        public var maxReaders: Int
    }

    /// Page size, last used page, map size and reader slots.
    ///
    /// Wraps `mdb_env_info` and `mdb_env_stat`.
    public func statistics() -> Statistics {
        var info = MDB_envinfo()
        var envStat = MDB_stat()
        mdb_env_info(handle, &info)
        mdb_env_stat(handle, &envStat)
        return Statistics(
            pageSize: Int(envStat.ms_psize), lastPage: info.me_last_pgno, mapSize: info.me_mapsize,
            readersInUse: Int(info.me_numreaders), maxReaders: Int(info.me_maxreaders)
        )
    }
}
