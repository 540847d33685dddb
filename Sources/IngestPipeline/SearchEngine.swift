internal import IngestStore
internal import LMDBKit
internal import Foundation

/// How `ingest search` ranks chunks.
public enum SearchMode: String, Sendable, CaseIterable {
    /// Okapi BM25 over the inverted index (k1 = 1.2, b = 0.75).
    case bm25
    /// Cosine similarity of the query's vector to the chunks' vectors (built-in hashing embedder).
    case vector
    /// Reciprocal-rank fusion (k = 60) of the two rankings.
    case hybrid
}

/// One search result.
public struct SearchHit: Sendable, Hashable {
    /// The source the document came from.
    public let source: String
    /// The document's path relative to its source.
    public let document: String
    public let ordinal: Int
    public let score: Double
    public let text: String
}

/// Queries the index the pipeline built. Read-only; works while a runner writes.
public struct SearchEngine: Sendable {
    let store: PipelineStore
    static let k1 = 1.2
    static let b = 0.75
    static let fusionK = 60.0

    public init(_ store: PipelineStore) { self.store = store }

    /// The best `k` chunks for `query`.
    ///
    /// Vector and hybrid search embed the query with each embedder that made stored vectors:
    /// the built-in one directly, an `exec:` one by running its command once.
    public func search(_ query: String, k: Int, mode: SearchMode) async throws -> [SearchHit] {
        var queryVectors: [String: [Float]] = [:]
        if mode != .bm25 {
            let embedders = try store.jobs.read { txn in try IndexStatistics.embedders(in: txn, store: store) }
            for (identity, dimension) in embedders {
                queryVectors[identity] = try await Self.embedQuery(query, identity: identity, dimension: dimension)
            }
        }
        return try store.jobs.read { txn in
            let ranked: [([UInt8], Double)]
            switch mode {
            case .bm25: ranked = try bm25(query, k: k, txn: txn)
            case .vector: ranked = try vector(queryVectors, k: k, txn: txn)
            case .hybrid:
                let lexical = try bm25(query, k: k * 4, txn: txn)
                let semantic = try vector(queryVectors, k: k * 4, txn: txn)
                var fused: [[UInt8]: Double] = [:]
                for list in [lexical, semantic] {
                    for (rank, (id, _)) in list.enumerated() { fused[id, default: 0] += 1 / (Self.fusionK + Double(rank + 1)) }
                }
                ranked = Self.best(k, of: fused)
            }
            return try ranked.compactMap { id, score in try hit(id, score: score, txn: txn) }
        }
    }

    private static func embedQuery(_ query: String, identity: String, dimension: Int) async throws -> [Float] {
        if let hashing = HashingEmbedder(identity: identity) { return hashing.vector(for: query) }
        guard identity.hasPrefix("exec:") else { return [] }
        let embedder = ExecEmbedder(command: String(identity.dropFirst(5)), dimension: dimension)
        defer { embedder.shutdown() }
        return try await embedder.embed([query]).first ?? []
    }

    private func hit(_ id: [UInt8], score: Double, txn: ReadTransaction) throws -> SearchHit? {
        guard let chunk = try txn.get(store.chunks, id).flatMap(ChunkRecord.init(decoding:)) else { return nil }
        let source = try txn.get(store.stats, IndexStatistics.collectionKey(chunk.collection))
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        return SearchHit(
            source: source, document: chunk.relativePath, ordinal: Int(chunk.ordinal), score: score, text: chunk.text
        )
    }

    /// Higher score first; ties by chunk id so that results are stable.
    private static func better(_ lhs: (key: [UInt8], value: Double), _ rhs: (key: [UInt8], value: Double)) -> Bool {
        lhs.value != rhs.value ? lhs.value > rhs.value : lhs.key.lexicographicallyPrecedes(rhs.key)
    }

    private func bm25(_ query: String, k: Int, txn: ReadTransaction) throws -> [([UInt8], Double)] {
        let (chunkCount, tokenCount) = try IndexStatistics.read(in: txn, store: store)
        guard chunkCount > 0 else { return [] }
        let averageLength = Double(tokenCount) / Double(chunkCount)
        let segments = try PostingsSegments.segments(in: txn, store: store)
        // In a fixed order, so that the sums, and the scores printed, are the same every run.
        let terms = try Set(Tokenizer.tokens(in: query)).sorted().map { term in
            try PostingsSegments.postingsInOrder(of: Array(term.utf8), segments: segments, in: txn, store: store)
        }
        // Every chunk any term names, once, in order; its length and its score sit at the same
        // index. Sorted lists all the way: a common term names most of the store's chunks,
        // and hashing each of them, several times, was half of a query's time.
        var chunks = terms.flatMap { $0.map(\.chunk) }
        chunks.sort()
        chunks = Self.unique(sorted: chunks)
        // A chunk without a length was removed since its segment was written: skipped.
        let lengths = try IndexedChunks.tokenCounts(of: chunks, in: txn, store: store)
        var scores = [Double](repeating: 0, count: chunks.count)
        var positions: [Int] = []
        for postings in terms {
            positions.removeAll(keepingCapacity: true)
            // Both lists are sorted and `chunks` holds every posting's chunk, so the walk
            // lands on each one.
            var at = 0
            for posting in postings {
                while at < chunks.count, chunks[at] < posting.chunk { at += 1 }
                positions.append(at)
            }
            let df = Double(positions.reduce(0) { $0 + (lengths[$1] == nil ? 0 : 1) })
            guard df > 0 else { continue }
            let idf = log(1 + (Double(chunkCount) - df + 0.5) / (df + 0.5))
            for (posting, position) in zip(postings, positions) {
                guard let tokens = lengths[position] else { continue }
                let frequency = Double(posting.frequency)
                let norm = frequency + Self.k1 * (1 - Self.b + Self.b * Double(tokens) / max(averageLength, 1))
                scores[position] += idf * frequency * (Self.k1 + 1) / norm
            }
        }
        // Chunk ids compared as numbers order like their bytes, so ties break as in `better`.
        var top = TopK<(key: PostingList.ChunkID, value: Double)>(k) { lhs, rhs in
            lhs.value != rhs.value ? lhs.value > rhs.value : lhs.key < rhs.key
        }
        for index in chunks.indices where lengths[index] != nil { top.offer((chunks[index], scores[index])) }
        return top.best.map { ($0.key.bytes, $0.value) }
    }

    /// `sorted` without repeats.
    private static func unique(sorted: [PostingList.ChunkID]) -> [PostingList.ChunkID] {
        var unique: [PostingList.ChunkID] = []
        unique.reserveCapacity(sorted.count)
        for id in sorted where unique.last != id { unique.append(id) }
        return unique
    }

    /// The `k` best-scored chunks, best first (`better`'s order).
    private static func best(_ k: Int, of scores: [[UInt8]: Double]) -> [([UInt8], Double)] {
        var top = TopK<(key: [UInt8], value: Double)>(k, by: better)
        for entry in scores { top.offer(entry) }
        return top.best.map { ($0.key, $0.value) }
    }

    private func vector(_ queries: [String: [Float]], k: Int, txn: ReadTransaction) throws -> [([UInt8], Double)] {
        var scan = VectorScan(queries: queries, k: k, better: Self.better)
        try txn.scan(store.vectors) { key, value in
            scan.offer(key: key, record: value)
            return true
        }
        return scan.best
    }
}
