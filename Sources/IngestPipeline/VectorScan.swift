/// Vector search's pass over every stored vector: each record's cosine with the query of its
/// embedder, the best `k` kept.
///
/// It runs once per stored vector (138k of them over 100 MB of text), so per record it does
/// only what that record needs. The embedder's name is compared with the last record's as
/// bytes, since a store's vectors nearly all name one embedder, instead of being made into a
/// `String` and hashed each time; the query's length is computed once; the floats are
/// decoded into one reused array; and a record's key is copied only when its score can get
/// into the best `k`. The scores are `HashingEmbedder.cosine`'s to the bit, and the order is
/// the search's `better`, so the result is what scoring and sorting every vector gives.
struct VectorScan {
    private struct Query {
        let vector: [Float]
        let length: Double
    }

    private let queries: [String: Query]
    /// The last record's embedder name as bytes, and the query that goes with it.
    private var lastName: [UInt8]?
    private var lastEmbedder: String?
    private var lastQuery: Query?
    private var top: TopK<(key: [UInt8], value: Double)>
    private var values: [Float] = []

    init(
        queries: [String: [Float]], k: Int,
        better: @escaping ((key: [UInt8], value: Double), (key: [UInt8], value: Double)) -> Bool
    ) {
        self.queries = queries.mapValues { Query(vector: $0, length: HashingEmbedder.length($0)) }
        top = TopK(k, by: better)
    }

    /// Scores one stored vector record; a record that is damaged, or whose embedder has no
    /// query or another dimension, is passed over.
    mutating func offer(key: UnsafeRawBufferPointer, record: UnsafeRawBufferPointer) {
        // `naming` runs on the way to every layout that is returned, so `lastQuery` is this
        // record's below.
        guard let layout = VectorRecord.layout(of: record, naming: { name(of: $0) }),
            let query = lastQuery, query.vector.count == layout.count,
            layout.values(of: record, into: &values)
        else { return }
        let score = values.withUnsafeBufferPointer {
            Double(HashingEmbedder.cosine(query.vector, length: query.length, $0))
        }
        // Below the k-th best it would be dropped: skip copying its key.
        if let threshold = top.threshold, score < threshold.value { return }
        top.offer((Array(key), score))
    }

    /// The best `k`, best first.
    var best: [([UInt8], Double)] { top.best.map { ($0.key, $0.value) } }

    /// The embedder named by `bytes` (`nil`: not UTF-8), and its query in `lastQuery`.
    private mutating func name(of bytes: UnsafeRawBufferPointer) -> String? {
        if let lastName, lastName.elementsEqual(bytes) { return lastEmbedder }
        lastName = Array(bytes)
        lastEmbedder = String(validating: bytes, as: UTF8.self)
        lastQuery = lastEmbedder.flatMap { queries[$0] }
        return lastEmbedder
    }
}
