public import IngestCore
public import LMDBKit
public import Logging
internal import Foundation

/// The job store: every job's record and per-phase state in one LMDB environment.
///
/// Thread-safe: any number of threads may read and write through one instance; LMDB
/// serialises writers across processes. Every change is one write transaction that also
/// updates the `by_status` index and the journal (see `StoreBatch`).
public final class JobStore: Sendable {
    /// Whether the store may be written. Read commands open read-only, so they work on a
    /// read-only mount and never create files.
    public enum AccessMode: Sendable {
        /// Reads and writes; creates the store when asked to.
        case readWrite
        /// Reads only; never creates or changes a file.
        case readOnly
    }

    /// The schema this build writes. A store with a newer one is refused; an older one is
    /// migrated in one transaction.
    ///
    /// - 1: the first.
    /// - 2: index segments may hold prefix-packed posting lists (the pipeline's
    ///   `PostingFormat`); the segment registry says which. Version 1 stores need no
    ///   rewrite — their segments stay readable and are repacked when merged — but a build
    ///   that knows only version 1 must not open a store that has such segments.
    /// - 3: the index phase marks the chunks it counted in the pipeline's `indexed_chunks`
    ///   database instead of rewriting each chunk's record. Older stores need no rewrite —
    ///   their chunk records keep the marks they hold, and are read as they are — but a build
    ///   that knows only version 2 would read the new records as not indexed and count their
    ///   chunks again.
    /// - 4: the pipeline may store a vector as a palette of its distinct values and an index
    ///   per value (`VectorRecord`'s layout 2), which makes the built-in embedder's vectors a
    ///   fifth of their size. Older stores need no rewrite — their vectors are read as they
    ///   are — but a build that knows only version 3 would take the new records for damage.
    public static let schemaVersion: UInt32 = 4

    /// The most journal lines kept per job; older ones are dropped as new ones come. A
    /// thousand lines hold years of nightly budget pauses and resumes.
    public static let journalLimit: UInt64 = 1000

    /// The store directory.
    public let path: String
    /// The LMDB environment the store lives in. A host opens its own named databases here
    /// (`openDatabase(named:create:)`) so that its writes can share the store's transactions.
    public let environment: Environment
    /// Whether the store was opened for writing.
    public let mode: AccessMode
    let databases: StoreDatabases
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    /// Held shared while the store is open for writing (see `StoreLock`).
    private let lock: StoreLock?

    private init(
        path: String, environment: Environment, mode: AccessMode, databases: StoreDatabases,
        clock: @escaping @Sendable () -> Timestamp, logger: Logger, lock: StoreLock?
    ) {
        self.lock = lock
        self.path = path
        self.environment = environment
        self.mode = mode
        self.databases = databases
        self.clock = clock
        self.logger = logger
    }

    /// The wall clock, for timestamps people read.
    public static let wallClock: @Sendable () -> Timestamp = {
        Timestamp(millisecondsSince1970: UInt64(max(0, Date().timeIntervalSince1970 * 1000)))
    }

    /// Opens the store in `path`, creating it (directory included) when `mode` is
    /// `.readWrite` and it does not exist yet.
    ///
    /// - Parameters:
    ///   - path: The store directory.
    ///   - mode: `.readOnly` never creates or changes a file.
    ///   - createIfMissing: With `.readWrite`, whether a missing store is created; commands
    ///     that act on existing jobs pass `false` so a typo in `--store` creates nothing.
    ///   - options: LMDB settings; durability is full sync unless a weaker mode is asked for.
    ///   - logger: Where the store logs; it never makes its own.
    ///   - clock: The source of timestamps.
    /// - Throws: `StoreError` saying what is wrong and what to do.
    public static func open(
        at path: String, mode: AccessMode = .readWrite, createIfMissing: Bool = true,
        options: EnvironmentOptions = .init(),
        logger: Logger = Logger(label: "ingest.store", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping @Sendable () -> Timestamp = JobStore.wallClock
    ) throws(StoreError) -> JobStore {
        try open(at: path, mode: mode, createIfMissing: createIfMissing, options: options, logger: logger, clock: clock, lock: nil)
    }

    /// `open`, with `lock` already held (compaction's exclusive one); otherwise a writer
    /// takes the shared lock before it maps the data file.
    static func open(
        at path: String, mode: AccessMode, createIfMissing: Bool, options: EnvironmentOptions, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp, lock held: StoreLock?
    ) throws(StoreError) -> JobStore {
        var options = options
        options.readOnly = mode == .readOnly
        if mode == .readWrite && createIfMissing { try createDirectory(path) } else { try requireExisting(path) }
        var lock = held
        if lock == nil && mode == .readWrite { lock = try StoreLock.shared(path) }
        let environment: Environment
        do {
            environment = try Environment.open(path: path, options: options)
        } catch {
            throw mapOpenError(error, path: path)
        }
        let databases = try openDatabases(environment, path: path, mode: mode, clock: clock, logger: logger)
        return JobStore(
            path: path, environment: environment, mode: mode, databases: databases, clock: clock, logger: logger, lock: lock
        )
    }

    private static func createDirectory(_ path: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .cannotCreate(path, "it is a file, not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "the directory cannot be created"
            throw .cannotCreate(path, reason)
        }
    }

    static func requireExisting(_ path: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .noStore(path) }
        guard isDirectory.boolValue else { throw .cannotCreate(path, "it is a file, not a directory") }
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else { throw .noStore(path) }
    }

    private static func mapOpenError(_ error: EnvironmentError, path: String) -> StoreError {
        if error.isMissing { return .noStore(path) }
        if error.isNotADirectory { return .cannotCreate(path, "it is a file, not a directory") }
        if error.meansDamagedFile { return .damaged(path, error.problem) }
        if error.meansUnusableLockFile { return .lockFile(error.description) }
        if error.meansNotWritable {
            guard let code = error.code else { return .cannotCreate(path, error.problem) }
            return .cannotCreate(path, code.description + (code.hint.map { "; \($0)" } ?? ""))
        }
        if let code = error.code { return .lmdb(path, code) }
        return .cannotCreate(path, error.description)
    }

    /// Checks the schema and opens the named databases; creates or migrates them only when
    /// needed, so opening an existing store does not take the writer lock.
    private static func openDatabases(
        _ environment: Environment, path: String, mode: AccessMode,
        clock: @Sendable () -> Timestamp, logger: Logger
    ) throws(StoreError) -> StoreDatabases {
        do {
            let found = try environment.read { txn in try SchemaCheck.inspect(txn, path: path) }
            switch found {
            case .current:
                let existing = try StoreDatabases.openExisting(in: environment)
                if let existing { return existing }
                guard mode == .readWrite else { throw StoreError.damaged(path, "a named database is missing") }
                return try environment.write { txn in try SchemaCheck.create(txn, migratingFrom: nil, now: clock()) }
            case .empty:
                guard mode == .readWrite else { throw StoreError.noStore(path) }
                logger.info("creating store", metadata: ["path": "\(path)"])
                return try environment.write { txn in try SchemaCheck.create(txn, migratingFrom: nil, now: clock()) }
            case .older(let version):
                guard mode == .readWrite else {
                    // A reader can use an older store as it is when the migration only
                    // marks it (it stays unmarked until a write command opens it).
                    guard version >= SchemaCheck.oldestReadableAsIs, let existing = try StoreDatabases.openExisting(in: environment) else {
                        throw StoreError.damaged(path, "schema version \(version) needs a migration; run a write command first")
                    }
                    return existing
                }
                logger.notice("migrating store", metadata: ["path": "\(path)", "from": "\(version)"])
                return try environment.write { txn in try SchemaCheck.create(txn, migratingFrom: version, now: clock()) }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as LMDBError {
            throw StoreError.lmdb(path, error)
        } catch {
            throw StoreError.damaged(path, "\(error)")
        }
    }
}

/// Reads and writes the `meta` database: schema version, creation time, store id.
enum SchemaCheck {
    /// The oldest schema this build reads without migrating it: no step from 1 to 4
    /// rewrites a record.
    static let oldestReadableAsIs: UInt32 = 1

    enum Finding {
        case empty
        case current
        case older(UInt32)
    }

    static func inspect(_ txn: ReadTransaction, path: String) throws -> Finding {
        guard let meta = try txn.openDatabase(named: "meta", create: false) else {
            if try txn.mainDatabaseEntryCount() > 0 { throw StoreError.foreign(path) }
            return .empty
        }
        guard let bytes = try txn.get(meta, Keys.Meta.schemaVersion), let version = version(from: bytes) else {
            throw StoreError.damaged(path, "the meta database has no schema version")
        }
        if version > JobStore.schemaVersion {
            throw StoreError.newerSchema(path, found: version, supported: JobStore.schemaVersion)
        }
        if version == 0 { throw StoreError.damaged(path, "schema version 0") }
        return version < JobStore.schemaVersion ? .older(version) : .current
    }

    /// The schema version stored under `schema_version`: a big-endian u32, or `nil` when the
    /// value is not 4 bytes.
    static func version(from bytes: [UInt8]) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        return bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Creates the databases and writes the meta records of a new store, or migrates an
    /// older one (no migration so far changes a record; see `JobStore.schemaVersion`).
    static func create(_ txn: WriteTransaction, migratingFrom version: UInt32?, now: Timestamp) throws -> StoreDatabases {
        guard let databases = try StoreDatabases.open(in: txn, create: true) else {
            throw LMDBError.badDatabase
        }
        var writer = ByteWriter()
        writer.write(JobStore.schemaVersion)
        try txn.put(databases.meta, Keys.Meta.schemaVersion, writer.bytes)
        if version == nil, try txn.get(databases.meta, Keys.Meta.storeID) == nil {
            var created = ByteWriter()
            created.write(now.millisecondsSince1970)
            try txn.put(databases.meta, Keys.Meta.createdAt, created.bytes)
            var generator = SystemRandomNumberGenerator()
            let storeID = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try txn.put(databases.meta, Keys.Meta.storeID, storeID)
        }
        return databases
    }
}
