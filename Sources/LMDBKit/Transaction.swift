internal import CLMDB

/// A read-only transaction: a consistent snapshot of the environment.
///
/// Only `Environment.read` and `Environment.write` create transactions, and only for the
/// length of their closure. Buffers handed out by `withValue` and cursors point into the
/// memory map and are valid only inside that closure.
public class ReadTransaction {
    let handle: OpaquePointer
    let environment: Environment
    private var finished = false
    /// The part of the map this transaction may read (see `MapWindow`).
    private var window: MapWindow?
    private let writable: Bool

    init(environment: Environment, flags: UInt32) throws {
        var pointer: OpaquePointer?
        try check(mdb_txn_begin(environment.handle, nil, flags, &pointer))
        guard let handle = pointer else { throw LMDBError.badTransaction }
        self.handle = handle
        self.environment = environment
        writable = flags & UInt32(MDB_RDONLY) == 0
        // The file's size as last seen, which may be older than this snapshot: a commit since
        // may have grown the file. So a key or value past it is looked at again (`buffer`)
        // before it counts as damage.
        window = environment.readableWindow(lookingAgain: false)
    }

    /// `value` as a buffer, after checking that it lies within the file: a damaged page can
    /// hold a size or offset that reaches past it, and reading there would crash the process.
    /// - Throws: `LMDBError.corrupted` when it does not.
    func buffer(_ value: MDB_val) throws(LMDBError) -> UnsafeRawBufferPointer {
        if let current = window, !current.allows(value.mv_data, count: value.mv_size, writable: writable) {
            // Past the size last seen: a commit since (this process's or another's) or a large
            // write transaction's spilled pages may have grown the file. The snapshot's pages
            // were written before the meta page that names them, so with the size looked up
            // now, what still lies past it is damage.
            window = environment.readableWindow(lookingAgain: true)
            if let window, !window.allows(value.mv_data, count: value.mv_size, writable: writable) {
                throw LMDBError.corrupted
            }
        }
        return UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
    }

    func abort() {
        guard !finished else { return }
        finished = true
        mdb_txn_abort(handle)
    }

    func markFinished() { finished = true }

    /// Ends a read-only transaction by committing it: LMDB keeps database handles opened
    /// in a read-only transaction only when it commits, and an abort would close them.
    func commitRead() throws {
        guard !finished else { return }
        finished = true
        try check(mdb_txn_commit(handle))
    }

    /// Opens a named database inside this transaction.
    ///
    /// Wraps `mdb_dbi_open`.
    /// - Returns: The handle, or `nil` when it does not exist and `create` is false.
    public func openDatabase(named name: String, create: Bool, flags extra: DatabaseFlags = []) throws -> Database? {
        var dbi = MDB_dbi()
        let flags = (create ? UInt32(MDB_CREATE) : 0) | extra.rawValue
        let code = mdb_dbi_open(handle, name, flags, &dbi)
        if code == MDB_NOTFOUND { return nil }
        try noteResult(code)
        return Database(dbi: dbi, name: name)
    }

    /// How many entries the unnamed main database holds. Named databases are entries there,
    /// so this tells an empty environment from one that something else already uses.
    ///
    /// Wraps `mdb_dbi_open` with a `NULL` name and `mdb_stat`.
    public func mainDatabaseEntryCount() throws -> Int {
        var dbi = MDB_dbi()
        try noteResult(mdb_dbi_open(handle, nil, 0, &dbi))
        var stat = MDB_stat()
        try noteResult(mdb_stat(handle, dbi, &stat))
        return stat.ms_entries
    }

    /// Hook for write transactions to notice `MDB_MAP_FULL`.
    func noteResult(_ code: Int32) throws(LMDBError) {
        try check(code)
    }

    /// Calls `body` with the value stored under `key`, or with `nil` when there is none.
    ///
    /// Wraps `mdb_get`. The buffer points into the map and is valid only inside `body`.
    public func withValue<R>(
        in database: Database, forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        var keyValue = clmdb_val(key.baseAddress, key.count)
        var value = MDB_val()
        let code = mdb_get(handle, database.dbi, &keyValue, &value)
        if code == MDB_NOTFOUND { return try body(nil) }
        try noteResult(code)
        return try body(try buffer(value))
    }

    /// The value stored under `key` as a copied byte array, or `nil` when there is none.
    public func get(_ database: Database, _ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { keyBytes in
            try withValue(in: database, forKey: keyBytes) { value in value.map { Array($0) } }
        }
    }

    /// Whether a value is stored under `key`.
    public func contains(_ database: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            try withValue(in: database, forKey: keyBytes) { $0 != nil }
        }
    }

    /// Runs `body` with a cursor over `database`; the cursor closes when `body` returns.
    ///
    /// Wraps `mdb_cursor_open` and `mdb_cursor_close`.
    public func withCursor<R>(_ database: Database, _ body: (Cursor) throws -> R) throws -> R {
        var pointer: OpaquePointer?
        try noteResult(mdb_cursor_open(handle, database.dbi, &pointer))
        guard let cursorHandle = pointer else { throw LMDBError.badTransaction }
        let cursor = Cursor(handle: cursorHandle, transaction: self)
        defer { mdb_cursor_close(cursorHandle) }
        return try body(cursor)
    }

    /// Visits, in order, every value stored under exactly `key` in a `duplicateSort` database.
    /// - Parameters:
    ///   - database: A database opened with `duplicateSort`.
    ///   - key: The key whose values to visit.
    ///   - body: Gets each value (valid only during the call); returns `false` to stop.
    public func forEachValue(
        _ database: Database, key: [UInt8], _ body: (_ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(database) { cursor in
            var entry = try key.withUnsafeBytes { try cursor.seek(exactly: $0) }
            while let current = entry {
                guard try body(current.value) else { return }
                entry = try cursor.nextDuplicate()
            }
        }
    }

    /// How many values `key` holds in a `duplicateSort` database (0 when absent).
    ///
    /// Wraps `mdb_cursor_count`.
    public func valueCount(_ database: Database, key: [UInt8]) throws -> Int {
        try withCursor(database) { cursor in
            guard try key.withUnsafeBytes({ try cursor.seek(exactly: $0) }) != nil else { return 0 }
            return try cursor.duplicateCount()
        }
    }

    /// Visits, in key order, every entry whose key starts with `prefix`.
    ///
    /// - Parameters:
    ///   - database: The database to scan.
    ///   - prefix: Bytes every visited key begins with; empty visits the whole database.
    ///   - body: Gets each key and value (valid only during the call); returns `false` to stop.
    public func scan(
        _ database: Database, prefix: [UInt8] = [],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(database) { cursor in
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atOrAfter: $0) }
            while let current = entry, current.key.starts(with: prefix) {
                guard try body(current.key, current.value) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// The number of entries in `database`.
    ///
    /// Wraps `mdb_stat`.
    public func count(_ database: Database) throws -> Int {
        var stat = MDB_stat()
        try noteResult(mdb_stat(handle, database.dbi, &stat))
        return stat.ms_entries
    }
}

/// A read-write transaction. There is at most one at a time per environment, across
/// processes; `Environment.write` commits it when its closure returns.
public final class WriteTransaction: ReadTransaction {
    /// Set when any call returned `MDB_MAP_FULL`: the transaction is then unusable and
    /// `Environment.write` grows the map and retries, whatever the closure did with the error.
    private(set) var sawMapFull = false

    init(environment: Environment) throws {
        try super.init(environment: environment, flags: 0)
    }

    override func noteResult(_ code: Int32) throws(LMDBError) {
        if code == MDB_MAP_FULL { sawMapFull = true }
        try check(code)
    }

    func commit() throws {
        markFinished()
        let code = mdb_txn_commit(handle)
        if code == MDB_MAP_FULL { sawMapFull = true }
        try check(code)
    }

    /// Stores `value` under `key`, replacing what was there.
    ///
    /// Wraps `mdb_put`.
    public func put(_ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        var keyValue = clmdb_val(key.baseAddress, key.count)
        var dataValue = clmdb_val(value.baseAddress, value.count)
        try noteResult(mdb_put(handle, database.dbi, &keyValue, &dataValue, 0))
    }

    /// Stores `value` under `key`, replacing what was there.
    public func put(_ database: Database, _ key: [UInt8], _ value: [UInt8]) throws {
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                try put(database, key: keyBytes, value: valueBytes)
            }
        }
    }

    /// Stores `value` under `key` like `put`, appending it when `key` sorts after every key
    /// in the database.
    ///
    /// When a full last page takes one more entry, a plain put moves part of the page into
    /// the new one; an append starts the new page with the new entry alone and leaves the
    /// full page as it is. Keys written in ascending order (chunk ids, segment numbers) then
    /// fill their pages: with values near a kilobyte, plain puts leave every page holding
    /// two where three fit.
    ///
    /// Wraps `mdb_put` with `MDB_APPEND`, and a plain `mdb_put` when `key` does not sort last.
    public func putAppending(_ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        var keyValue = clmdb_val(key.baseAddress, key.count)
        var dataValue = clmdb_val(value.baseAddress, value.count)
        let code = mdb_put(handle, database.dbi, &keyValue, &dataValue, UInt32(MDB_APPEND))
        // MDB_KEYEXIST: the key does not sort after the last one; nothing was written.
        guard code == MDB_KEYEXIST else { return try noteResult(code) }
        try put(database, key: key, value: value)
    }

    /// `putAppending(_:key:value:)` for arrays.
    public func putAppending(_ database: Database, _ key: [UInt8], _ value: [UInt8]) throws {
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                try putAppending(database, key: keyBytes, value: valueBytes)
            }
        }
    }

    /// Stores `value` under `key` only when `key` is not there yet, appending it when `key`
    /// sorts after every key in the database (see `putAppending`).
    ///
    /// Wraps `mdb_put` with `MDB_APPEND`, and with `MDB_NOOVERWRITE` when `key` does not sort last.
    /// - Returns: `false` when `key` was already there (its value is left as it was).
    @discardableResult
    public func insertAppending(_ database: Database, _ key: [UInt8], _ value: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var keyValue = clmdb_val(keyBytes.baseAddress, keyBytes.count)
                var dataValue = clmdb_val(valueBytes.baseAddress, valueBytes.count)
                var code = mdb_put(handle, database.dbi, &keyValue, &dataValue, UInt32(MDB_APPEND))
                if code == MDB_KEYEXIST {
                    code = mdb_put(handle, database.dbi, &keyValue, &dataValue, UInt32(MDB_NOOVERWRITE))
                }
                if code == MDB_KEYEXIST { return false }
                try noteResult(code)
                return true
            }
        }
    }

    /// Deletes the entry under `key`.
    ///
    /// Wraps `mdb_del`.
    /// - Returns: `false` when there was no such entry.
    @discardableResult
    public func delete(_ database: Database, key: UnsafeRawBufferPointer) throws -> Bool {
        var keyValue = clmdb_val(key.baseAddress, key.count)
        let code = mdb_del(handle, database.dbi, &keyValue, nil)
        if code == MDB_NOTFOUND { return false }
        try noteResult(code)
        return true
    }

    /// Deletes one value of `key` in a `duplicateSort` database.
    ///
    /// Wraps `mdb_del` with data.
    /// - Returns: `false` when there was no such pair.
    @discardableResult
    public func delete(_ database: Database, _ key: [UInt8], value: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var keyValue = clmdb_val(keyBytes.baseAddress, keyBytes.count)
                var dataValue = clmdb_val(valueBytes.baseAddress, valueBytes.count)
                let code = mdb_del(handle, database.dbi, &keyValue, &dataValue)
                if code == MDB_NOTFOUND { return false }
                try noteResult(code)
                return true
            }
        }
    }

    /// Deletes the entry under `key`; `false` when there was none.
    @discardableResult
    public func delete(_ database: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { try delete(database, key: $0) }
    }

    /// Deletes every entry whose key starts with `prefix`; returns how many.
    @discardableResult
    public func deleteAll(_ database: Database, prefix: [UInt8]) throws -> Int {
        try withCursor(database) { cursor in
            var deleted = 0
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atOrAfter: $0) }
            while let current = entry, current.key.starts(with: prefix) {
                try cursor.deleteCurrent()
                deleted += 1
                // Seek again rather than ask for the current entry: after deleting the last
                // entry of a database LMDB leaves the cursor unpositioned (EINVAL).
                entry = try prefix.withUnsafeBytes { try cursor.seek(atOrAfter: $0) }
            }
            return deleted
        }
    }

    /// Removes every entry of `database`, keeping the database.
    ///
    /// Wraps `mdb_drop` with `del = 0`.
    public func clear(_ database: Database) throws {
        try noteResult(mdb_drop(handle, database.dbi, 0))
    }

    /// Deletes `database` itself, entries and name. Its handle is closed when the
    /// transaction commits: open the name again (it is gone) rather than use `database`.
    ///
    /// Wraps `mdb_drop` with `del = 1`.
    public func deleteDatabase(_ database: Database) throws {
        try noteResult(mdb_drop(handle, database.dbi, 1))
    }
}

@available(*, unavailable)
extension ReadTransaction: Sendable {}
