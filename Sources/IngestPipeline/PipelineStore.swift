public import IngestStore
internal import LMDBKit

/// The built-in pipeline's databases, in the same LMDB environment as the job state, so
/// that an item's outputs commit in the same transaction as its receipt.
///
/// | database | key | value |
/// |---|---|---|
/// | `documents` | collection (8) · relative path | `DocumentRecord` |
/// | `chunks` | chunk id (16) | `ChunkRecord` |
/// | `indexed_chunks` | chunk id (16) | the chunk's token count, u32 big-endian: the index counted it (see `IndexedChunks`) |
/// | `postings` | segment (u32) · term | the term's postings in that segment, sorted by chunk id and packed as the segment's registry entry says (see `PostingsSegments`, `PostingFormat`) |
/// | `vectors` | chunk id | embedder identity, dimension, float32 little-endian |
/// | `index_stats` | name | u64 |
///
/// A collection is one source path: jobs over the same source share its documents, which
/// is what lets a later job skip unchanged files and drop deleted ones.
public struct PipelineStore: Sendable {
    public let jobs: JobStore
    let documents: Database
    let chunks: Database
    let postings: Database
    let vectors: Database
    let stats: Database
    /// `nil` only in a store from before schema version 3 opened read-only: there every
    /// index mark is still in its chunk record.
    let indexedChunks: Database?

    /// Opens the pipeline's databases in `store`, creating them when the store is writable.
    /// - Throws: `StoreError` when they are missing from a read-only store.
    public init(_ store: JobStore) throws {
        jobs = store
        let create = store.mode == .readWrite
        func open(_ name: String) throws -> Database {
            do {
                guard let database = try store.environment.openDatabase(named: name, create: create) else {
                    throw PipelineStoreError.missingDatabase(name)
                }
                return database
            } catch let error as LMDBError {
                throw StoreError.lmdb(store.path, error)
            }
        }
        documents = try open("documents")
        chunks = try open("chunks")
        postings = try open("postings")
        vectors = try open("vectors")
        stats = try open("index_stats")
        do {
            // Without it, an older store's marks are in its chunk records. A store whose
            // records have the current layout lost it: searches would find nothing, and a
            // new empty one would count every chunk again.
            var marks = try store.environment.openDatabase(named: "indexed_chunks", create: false)
            if marks == nil, try Self.holdsCurrentChunkRecords(chunks, in: store) {
                throw StoreError.damagedStore(store.path, "the indexed_chunks database is missing; run `ingest verify`, then restore a backup")
            }
            if marks == nil, create { marks = try store.environment.openDatabase(named: "indexed_chunks", create: true) }
            indexedChunks = marks
        } catch let error as LMDBError {
            throw StoreError.lmdb(store.path, error)
        }
    }

    /// Whether the first chunk record has the layout builds since schema version 3 write.
    private static func holdsCurrentChunkRecords(_ chunks: Database, in store: JobStore) throws -> Bool {
        try store.read { txn in
            var current = false
            try txn.scan(chunks) { _, value in
                current = !ChunkRecord.hasLegacyLayout(value)
                return false
            }
            return current
        }
    }

    /// Whether the store holds the pipeline's databases at all (a store only a host used does not).
    public static func exists(in store: JobStore) -> Bool {
        (try? store.environment.openDatabase(named: "chunks", create: false)) != nil
    }
}

/// Problems opening the pipeline's databases.
public struct PipelineStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func missingDatabase(_ name: String) -> PipelineStoreError {
        PipelineStoreError(description: "the store has no \(name) database yet; run `ingest submit` and `ingest run` first")
    }
}

extension PipelineStore {
    /// What the index holds, for metrics and status: one read transaction.
    public struct Totals: Sendable, Equatable {
        /// Chunks counted in the BM25 statistics.
        public var indexedChunks: UInt64
        /// Bytes of source text held by the documents of every collection.
        public var documentBytes: UInt64
    }

    public func totals() throws -> Totals {
        try jobs.read { txn in
            let (chunks, _) = try IndexStatistics.read(in: txn, store: self)
            let bytes = try txn.get(stats, PipelineKeys.documentBytes).map(BigEndian.value) ?? 0
            return Totals(indexedChunks: chunks, documentBytes: bytes)
        }
    }
}
