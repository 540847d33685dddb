internal import LMDBKit

/// Which chunks the index counted in its statistics, and their lengths in tokens (BM25's
/// document length): `indexed_chunks`, chunk id (16) → token count (u32, big-endian).
///
/// A mark of its own, 20 bytes appended in chunk-id order, instead of two fields of the
/// chunk record: setting those meant the index phase rewrote every chunk record, text and
/// all, in the writer's transaction — a fifth of the bytes an ingestion wrote to disk.
///
/// A mark and its chunk are written and removed in the same transactions, so a mark always
/// names a stored chunk. Chunk records of layout 1 (stores from before schema version 3)
/// carry their mark inside (`ChunkRecord.legacyTokenCount`) and are never marked here too:
/// each chunk is counted once, in one place.
enum IndexedChunks {
    /// What the store knows about a chunk the index is about to count.
    enum Standing: Equatable {
        /// The chunk is gone (its document changed or was deleted since it was fetched).
        case gone
        /// Stored, and counted in a layout 1 record.
        case countedInRecord
        /// Stored; the mark here, if any, says whether it was counted.
        case stored
    }

    /// Looks the chunk up in place; decodes it only when it has the old layout.
    static func standing(of id: [UInt8], in txn: ReadTransaction, store: PipelineStore) throws -> Standing {
        try id.withUnsafeBytes { key in
            try txn.withValue(in: store.chunks, forKey: key) { bytes in
                guard let bytes else { return .gone }
                guard ChunkRecord.hasLegacyLayout(bytes), ChunkRecord(decoding: bytes)?.legacyTokenCount != nil else {
                    return .stored
                }
                return .countedInRecord
            }
        }
    }

    /// Marks a stored chunk as counted, with its length.
    /// - Returns: `false` when it was marked before (a chunk indexed again keeps its mark).
    static func mark(_ id: [UInt8], tokenCount: UInt32, in txn: WriteTransaction, store: PipelineStore) throws -> Bool {
        try txn.insertAppending(try database(store), id, encode(tokenCount))
    }

    /// Removes a chunk's mark, for a chunk being removed.
    /// - Parameter record: The chunk's record, for the mark of a layout 1 record.
    /// - Returns: The token count it was counted with, or `nil` when it was not counted.
    static func unmark(_ id: [UInt8], record: ChunkRecord?, in txn: WriteTransaction, store: PipelineStore) throws -> UInt32? {
        let database = try database(store)
        if let value = try txn.get(database, id) {
            try txn.delete(database, id)
            return decode(value) ?? 0
        }
        return record?.legacyTokenCount
    }

    /// The token count of each of `ids`, in their order; `nil` for a chunk the index did not
    /// count or that is gone.
    ///
    /// One cursor reads `indexed_chunks` in key order, so that each lookup starts on the page
    /// of the one before: a query's common terms name a large part of the store's chunks,
    /// and a lookup each from the root was much of its time.
    /// - Parameter ids: Sorted ascending.
    static func tokenCounts(of ids: [PostingList.ChunkID], in txn: ReadTransaction, store: PipelineStore) throws -> [UInt32?] {
        var counts = [UInt32?](repeating: nil, count: ids.count)
        if let database = store.indexedChunks {
            try txn.withCursor(database) { cursor in
                for (index, id) in ids.enumerated() {
                    if let entry = try id.withBytes({ try cursor.seek(exactly: $0) }) { counts[index] = decode(entry.value) ?? 0 }
                }
            }
        }
        // A chunk of a layout 1 record holds its mark itself (stores from before schema version 3).
        for (index, id) in ids.enumerated() where counts[index] == nil {
            counts[index] = try txn.get(store.chunks, id.bytes).flatMap(ChunkRecord.init(decoding:))?.legacyTokenCount
        }
        return counts
    }

    /// Whether the index counted a chunk whose record is already at hand.
    static func isCounted(_ id: [UInt8], record: ChunkRecord, in txn: ReadTransaction, store: PipelineStore) throws -> Bool {
        if record.legacyTokenCount != nil { return true }
        guard let database = store.indexedChunks else { return false }
        return try txn.contains(database, id)
    }

    static func encode(_ tokenCount: UInt32) -> [UInt8] { withUnsafeBytes(of: tokenCount.bigEndian) { Array($0) } }

    /// The token count of a stored mark; `nil` when the value is not 4 bytes (damage).
    static func decode(_ value: some Collection<UInt8>) -> UInt32? {
        guard value.count == 4 else { return nil }
        return value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// The database, which a writable store always has.
    private static func database(_ store: PipelineStore) throws -> Database {
        guard let database = store.indexedChunks else { throw PipelineStoreError.missingDatabase("indexed_chunks") }
        return database
    }
}
