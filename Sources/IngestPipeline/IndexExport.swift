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
    public func forEachChunk(sources: Set<String>? = nil, _ body: (ExportedChunk) throws -> Void) throws {
        try store.jobs.environment.read { txn in
            var sourceNames: [[UInt8]: String] = [:]
            try txn.scan(store.documents) { key, value in
                guard key.count >= 8, let document = DocumentRecord(decoding: value),
                    document.chunkCount != ChunkPhase.pendingChunks
                else { return true }
                let collection = Array(key.prefix(8))
                if sourceNames[collection] == nil {
                    sourceNames[collection] = try txn.get(store.stats, IndexStatistics.collectionKey(collection))
                        .map { String(decoding: $0, as: UTF8.self) } ?? ""
                }
                let source = sourceNames[collection] ?? ""
                if let sources, !sources.contains(source) { return true }
                for ordinal in 0..<Int(document.chunkCount) {
                    let id = PipelineKeys.chunkID(collection: collection, document: document.sequence, ordinal: ordinal)
                    guard let chunk = try txn.get(store.chunks, id).flatMap(ChunkRecord.init(decoding:)) else { continue }
                    let path = chunk.relativePath
                    let vector = try txn.get(store.vectors, id).flatMap(VectorRecord.init(decoding:))
                    try body(ExportedChunk(
                        source: source, document: path, ordinal: ordinal,
                        textHash: SHA256.hexDigest(Array(chunk.text.utf8)),
                        vectorHash: vector.map { SHA256.hexDigest($0.valueBytes) } ?? "", indexed: chunk.indexed
                    ))
                }
                return true
            }
        }
    }
}
