internal import IngestStore
internal import LMDBKit

/// One exported chunk: enough to compare two stores' indexes byte for byte.
public struct ExportedChunk: Sendable, Hashable {
    public let source: String
    public let document: String
    public let ordinal: Int
    /// SHA-256 of the chunk text.
    public let textHash: String
    /// SHA-256 of the vector's float32 bytes, or "" when the chunk has no vector.
    public let vectorHash: String
    /// Whether the chunk is in the BM25 index.
    public let indexed: Bool
}

/// Streams the index in a stable order: by collection, document path, then ordinal.
public struct IndexExport: Sendable {
    let store: PipelineStore

    public init(_ store: PipelineStore) { self.store = store }

    /// Calls `body` with each chunk in order; only the sources in `sources` when given.
    /// - Throws: `StoreError` naming the record when one does not decode: an export that
    ///   quietly left damaged records out would compare equal to nothing and explain nothing.
    public func forEachChunk(sources: Set<String>? = nil, _ body: (ExportedChunk) throws -> Void) throws {
        try store.jobs.read { txn in
            var sourceNames: [[UInt8]: String] = [:]
            try txn.scan(store.documents) { key, value in
                guard key.count >= 8, let document = DocumentRecord(decoding: value) else {
                    throw StoreError.damagedRecord(in: "documents", key: key, "the document record does not decode")
                }
                guard document.chunkCount != ChunkPhase.pendingChunks else { return true }
                let collection = Array(key.prefix(8))
                if sourceNames[collection] == nil {
                    sourceNames[collection] = try txn.get(store.stats, IndexStatistics.collectionKey(collection))
                        .map { String(decoding: $0, as: UTF8.self) } ?? ""
                }
                let source = sourceNames[collection] ?? ""
                if let sources, !sources.contains(source) { return true }
                // The document's chunks are the keys under collection · sequence; walking them
                // costs what is stored, whatever a damaged chunk count claims.
                let prefix = PipelineKeys.chunkPrefix(collection: collection, document: document.sequence)
                var chunks: [(ordinal: Int, id: [UInt8], record: ChunkRecord)] = []
                try txn.scan(store.chunks, prefix: prefix) { id, bytes in
                    guard let ordinal = PipelineKeys.chunkOrdinal(id), ordinal < Int(document.chunkCount) else { return true }
                    guard let chunk = ChunkRecord(decoding: bytes) else {
                        throw StoreError.damagedRecord(in: "chunks", key: id, "the chunk record does not decode")
                    }
                    chunks.append((ordinal, Array(id), chunk))
                    return true
                }
                for (ordinal, id, chunk) in chunks {
                    var vector: VectorRecord?
                    if let bytes = try txn.get(store.vectors, id) {
                        guard let decoded = VectorRecord(decoding: bytes) else {
                            throw StoreError.damagedRecord(in: "vectors", key: id, "the vector record does not decode")
                        }
                        vector = decoded
                    }
                    try body(ExportedChunk(
                        source: source, document: chunk.relativePath, ordinal: ordinal,
                        textHash: SHA256.hexDigest(Array(chunk.text.utf8)),
                        vectorHash: vector.map { SHA256.hexDigest($0.valueBytes) } ?? "",
                        indexed: try IndexedChunks.isCounted(id, record: chunk, in: txn, store: store)
                    ))
                }
                return true
            }
        }
    }
}
