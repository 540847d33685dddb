internal import CLMDB

/// A position in a database, valid inside `ReadTransaction.withCursor` only.
///
/// Each move returns the entry it lands on, or `nil` past either end. The buffers point
/// into the map and are valid until the next move or the end of the transaction.
public final class Cursor {
    /// A key and its value, both pointing into the map.
    public struct Entry {
        /// The entry's key; valid only while the cursor stays where it is.
        public let key: UnsafeRawBufferPointer
        /// The entry's value; valid only while the cursor stays where it is.
        public let value: UnsafeRawBufferPointer
    }

    private let handle: OpaquePointer
    private unowned let transaction: ReadTransaction

    init(handle: OpaquePointer, transaction: ReadTransaction) {
        self.handle = handle
        self.transaction = transaction
    }

    private func move(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var keyValue = key.map { clmdb_val($0.baseAddress, $0.count) } ?? MDB_val()
        var dataValue = MDB_val()
        let code = mdb_cursor_get(handle, &keyValue, &dataValue, operation)
        if code == MDB_NOTFOUND { return nil }
        try transaction.noteResult(code)
        return Entry(key: try transaction.buffer(keyValue), value: try transaction.buffer(dataValue))
    }

    /// Moves to the first entry whose key is at or after `key` in byte order.
    ///
    /// Wraps `mdb_cursor_get` with `MDB_SET_RANGE`; an empty key means the first entry.
    public func seek(atOrAfter key: UnsafeRawBufferPointer) throws -> Entry? {
        if key.isEmpty { return try first() }
        return try move(MDB_SET_RANGE, key: key)
    }

    /// Moves to `key` exactly (its first value in a `duplicateSort` database).
    ///
    /// Wraps `mdb_cursor_get` with `MDB_SET_KEY`.
    public func seek(exactly key: UnsafeRawBufferPointer) throws -> Entry? {
        try move(MDB_SET_KEY, key: key)
    }

    /// Moves to the next value of the current key. Wraps `MDB_NEXT_DUP`.
    public func nextDuplicate() throws -> Entry? { try move(MDB_NEXT_DUP) }

    /// How many values the current key holds. Wraps `mdb_cursor_count`.
    public func duplicateCount() throws -> Int {
        var count = 0
        try transaction.noteResult(mdb_cursor_count(handle, &count))
        return count
    }

    /// Moves to the first entry. Wraps `MDB_FIRST`.
    public func first() throws -> Entry? { try move(MDB_FIRST) }
    /// Moves to the last entry. Wraps `MDB_LAST`.
    public func last() throws -> Entry? { try move(MDB_LAST) }
    /// Moves to the next entry. Wraps `MDB_NEXT`.
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    /// Moves to the previous entry. Wraps `MDB_PREV`.
    public func previous() throws -> Entry? { try move(MDB_PREV) }
    /// The entry at the cursor. Wraps `MDB_GET_CURRENT`.
    public func current() throws -> Entry? { try move(MDB_GET_CURRENT) }

    /// Deletes the entry at the cursor; the cursor then stands on the entry after it.
    ///
    /// Wraps `mdb_cursor_del`. Only in a write transaction.
    public func deleteCurrent() throws {
        try transaction.noteResult(mdb_cursor_del(handle, 0))
    }
}

@available(*, unavailable)
extension Cursor: Sendable {}
