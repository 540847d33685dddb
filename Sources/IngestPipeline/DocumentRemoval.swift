internal import IngestStore
internal import LMDBKit

/// Removes what the pipeline stored for a document: its chunks, their index marks and
/// vectors, and their share of the index statistics. Their postings stay in the index
/// segments until the next merge; queries skip them because the chunks are gone. Used when
/// a file changed (before its new chunks are written) and when it was deleted from the source.
enum DocumentRemoval {
    static func removeChunks(
        of document: DocumentRecord, key: [UInt8], in txn: WriteTransaction, store: PipelineStore
    ) throws {
        guard document.chunkCount != ChunkPhase.pendingChunks else { return }
        // Walk the chunks stored under the document's prefix rather than count up to its
        // chunk count: a damaged count must not turn into billions of lookups.
        var stored: [(id: [UInt8], chunk: ChunkRecord?)] = []
        let prefix = PipelineKeys.chunkPrefix(collection: Array(key.prefix(8)), document: document.sequence)
        try txn.scan(store.chunks, prefix: prefix) { id, bytes in
            if let ordinal = PipelineKeys.chunkOrdinal(id), ordinal < Int(document.chunkCount) {
                stored.append((Array(id), ChunkRecord(decoding: bytes)))
            }
            return true
        }
        for (id, chunk) in stored {
            guard let chunk else { continue }
            if let tokens = try IndexedChunks.unmark(id, record: chunk, in: txn, store: store) {
                try IndexStatistics.add(chunks: -1, tokens: -Int64(tokens), in: txn, store: store)
            }
            try txn.delete(store.vectors, id)
            try txn.delete(store.chunks, id)
        }
    }
}

/// The BM25 statistics: how many chunks are indexed and how many tokens they hold.
enum IndexStatistics {
    static func add(chunks: Int64, tokens: Int64, in txn: WriteTransaction, store: PipelineStore) throws {
        for (key, delta) in [(PipelineKeys.chunkCount, chunks), (PipelineKeys.tokenCount, tokens)] {
            let current = try txn.get(store.stats, key).map(BigEndian.value) ?? 0
            try txn.put(store.stats, key, BigEndian.bytes(adjusted(current, by: delta)))
        }
    }

    /// Adds `delta` (negative when documents shrink or go) to the bytes the documents hold.
    static func addDocumentBytes(_ delta: Int64, in txn: WriteTransaction, store: PipelineStore) throws {
        guard delta != 0 else { return }
        let current = try txn.get(store.stats, PipelineKeys.documentBytes).map(BigEndian.value) ?? 0
        try txn.put(store.stats, PipelineKeys.documentBytes, BigEndian.bytes(adjusted(current, by: delta)))
    }

    /// `counter + delta`, kept within 0...UInt64.max: the counters are statistics, and a
    /// damaged one near either end must skew a score, not trap the run.
    static func adjusted(_ counter: UInt64, by delta: Int64) -> UInt64 {
        if delta < 0 { return counter - min(counter, delta.magnitude) }
        let (sum, overflow) = counter.addingReportingOverflow(delta.magnitude)
        return overflow ? .max : sum
    }

    static func read(in txn: ReadTransaction, store: PipelineStore) throws -> (chunks: UInt64, tokens: UInt64) {
        let chunks = try txn.get(store.stats, PipelineKeys.chunkCount).map(BigEndian.value) ?? 0
        let tokens = try txn.get(store.stats, PipelineKeys.tokenCount).map(BigEndian.value) ?? 0
        return (chunks, tokens)
    }

    /// `index_stats` key recording that vectors of `identity` exist (value: their dimension).
    static func embedderKey(_ identity: String) -> [UInt8] { Array("embedder:".utf8) + Array(identity.utf8) }

    /// The embedders whose vectors the index holds, with their dimensions.
    ///
    /// An entry whose dimension no embedder can have (a damaged value) is left out: its
    /// vectors cannot match any query vector anyway.
    static func embedders(in txn: ReadTransaction, store: PipelineStore) throws -> [(identity: String, dimension: Int)] {
        var found: [(String, Int)] = []
        let prefix = Array("embedder:".utf8)
        try txn.scan(store.stats, prefix: prefix) { key, value in
            let dimension = BigEndian.value(value)
            guard value.count == 8, (1...UInt64(VectorRecord.maxDimension)).contains(dimension) else {
                throw StoreError.damagedRecord(in: "index_stats", key: key, "the embedder's dimension \(dimension) is not 1...\(VectorRecord.maxDimension)")
            }
            found.append((String(decoding: key.dropFirst(prefix.count), as: UTF8.self), Int(dimension)))
            return true
        }
        return found
    }

    /// `index_stats` key naming a collection's source path.
    static func collectionKey(_ collection: [UInt8]) -> [UInt8] { Array("collection:".utf8) + collection }
}
