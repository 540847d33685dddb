import IngestTestSupport
import Testing

@testable import IngestPipeline

/// Vector search scores every stored vector in one pass (`VectorScan`), with shortcuts for
/// speed: the embedder's name compared as bytes with the last record's, the query's length
/// computed once, a key copied only when its score can get in. None may change an
/// answer: the scan must give exactly what decoding every record, scoring it with
/// `HashingEmbedder.cosine` and sorting them all gives.
@Suite("Vector search's scan")
struct VectorScanTests {
    typealias Scored = (key: [UInt8], value: Double)

    /// The search's order: higher score first, ties by key.
    static func better(_ lhs: Scored, _ rhs: Scored) -> Bool {
        lhs.value != rhs.value ? lhs.value > rhs.value : lhs.key.lexicographicallyPrecedes(rhs.key)
    }

    /// `HashingEmbedder.cosine` as it was before the query's length was computed once: one
    /// loop, three sums.
    static func oneLoopCosine(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return 0 }
        var dot = 0.0
        var normA = 0.0
        var normB = 0.0
        for i in a.indices {
            let x = Double(a[i])
            let y = Double(b[i])
            dot += x * y
            normA += x * x
            normB += y * y
        }
        guard normA > 0, normB > 0 else { return 0 }
        return Float(min(1, max(-1, dot / (squareRoot(normA) * squareRoot(normB)))))
    }

    /// Every record decoded and scored the plain way, sorted, the first `k`.
    static func reference(_ records: [(key: [UInt8], bytes: [UInt8])], queries: [String: [Float]], k: Int) -> [Scored] {
        var scored: [Scored] = []
        for (key, bytes) in records {
            guard let record = VectorRecord(decoding: bytes), let query = queries[record.embedder],
                query.count == record.values.count
            else { continue }
            scored.append((key, Double(Self.oneLoopCosine(query, record.values))))
        }
        return Array(scored.sorted(by: better).prefix(k))
    }

    static func scan(_ records: [(key: [UInt8], bytes: [UInt8])], queries: [String: [Float]], k: Int) -> [Scored] {
        var scan = VectorScan(queries: queries, k: k, better: better)
        for (key, bytes) in records {
            key.withUnsafeBytes { key in bytes.withUnsafeBytes { bytes in scan.offer(key: key, record: bytes) } }
        }
        return scan.best.map { ($0.0, $0.1) }
    }

    /// Records of three embedders in a shuffled order (so the name changes from record to
    /// record), raw and palette layouts, repeated vectors under other keys (ties), and records
    /// the scan must pass over: damaged, of another dimension, named in bytes that are not UTF-8.
    static func records(seed: UInt64) throws -> [(key: [UInt8], bytes: [UInt8])] {
        var generator = SeededGenerator(seed: seed)
        let words = ["river", "stone", "bridge", "water", "old", "mill", "wheel", "green", "field", "the", "a", "under"]
        let embedders = [try HashingEmbedder(dimension: 64), try HashingEmbedder(dimension: 32)]
        var records: [(key: [UInt8], bytes: [UInt8])] = []
        for index in 0..<600 {
            let key = withUnsafeBytes(of: UInt32(index).bigEndian) { Array($0) }
            let bytes: [UInt8]
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<6:
                let embedder = embedders[Int.random(in: 0..<2, using: &generator)]
                let text = (0..<Int.random(in: 1...12, using: &generator)).map { _ in words.randomElement(using: &generator) ?? "" }
                let record = VectorRecord(embedder: embedder.identity, values: embedder.vector(for: text.joined(separator: " ")))
                bytes = Bool.random(using: &generator) ? record.encoded() : record.encodedRaw()
            case 6:
                let values = (0..<64).map { _ in Float.random(in: -1...1, using: &generator) }
                bytes = VectorRecord(embedder: embedders[0].identity, values: values).encoded()
            case 7:
                // A repeat of an earlier record under this key: its score ties.
                bytes = records.randomElement(using: &generator)?.bytes ?? []
            case 8:
                let values = (0..<48).map { _ in Float.random(in: -1...1, using: &generator) }
                bytes = VectorRecord(embedder: ["other", embedders[0].identity][index % 2], values: values).encoded()
            default:
                var damaged = VectorRecord(embedder: embedders[1].identity, values: embedders[1].vector(for: "old mill")).encoded()
                if index % 2 == 0 { damaged.removeLast() } else { damaged[9] = 0xFF }
                bytes = damaged
            }
            records.append((key, bytes))
        }
        return records
    }

    @Test("the scan's best k equal a full sort of every record's cosine, score for score", arguments: [1, 2, 3])
    func equalsFullSort(_ seed: UInt64) throws {
        let records = try Self.records(seed: seed)
        let queries = [
            try HashingEmbedder(dimension: 64).identity: try HashingEmbedder(dimension: 64).vector(for: "the old stone bridge"),
            try HashingEmbedder(dimension: 32).identity: try HashingEmbedder(dimension: 32).vector(for: "green field by the river"),
        ]
        for k in [1, 5, 40, 1_000] {
            let expected = Self.reference(records, queries: queries, k: k)
            let found = Self.scan(records, queries: queries, k: k)
            #expect(found.map(\.key) == expected.map(\.key), "k = \(k): another order")
            #expect(found.map(\.value.bitPattern) == expected.map(\.value.bitPattern), "k = \(k): other scores")
            #expect(found.count == min(k, expected.count))
        }
        // The records include ties and passed-over ones, or the comparison above proves less.
        let all = Self.reference(records, queries: queries, k: .max)
        #expect(Set(all.map(\.value)).count < all.count, "no tied scores among the records")
        #expect(all.count < records.count - 60, "too few records passed over")
    }

    /// LMDB hands the scan its keys in ascending order, but the scan does not count on it:
    /// a tie at the k-th place goes to the smaller key whenever it comes.
    @Test("ties go to the smaller key in any order of arrival")
    func tiesInAnyOrder() throws {
        let embedder = try HashingEmbedder(dimension: 32)
        let same = VectorRecord(embedder: embedder.identity, values: embedder.vector(for: "old mill wheel")).encoded()
        let other = VectorRecord(embedder: embedder.identity, values: embedder.vector(for: "green field")).encoded()
        let queries = [embedder.identity: embedder.vector(for: "the old mill")]
        var records: [(key: [UInt8], bytes: [UInt8])] = []
        for index in 0..<12 {
            let key: [UInt8] = [UInt8(200 - index * 10)]
            records.append((key, index % 3 == 2 ? other : same))
        }
        var generator = SeededGenerator(seed: 0x7135)
        for order in 0..<4 {
            if order == 1 { records.reverse() }
            if order > 1 { records.shuffle(using: &generator) }
            for k in [1, 2, 5] {
                let found = Self.scan(records, queries: queries, k: k)
                #expect(found.map(\.key) == Self.reference(records, queries: queries, k: k).map(\.key), "order \(order), k = \(k)")
            }
        }
    }

    @Test("a query's length computed once gives the one-loop cosine's value to the bit")
    func cosineWithLengthGiven() throws {
        var generator = SeededGenerator(seed: 0xC05)
        for count in [0, 1, 7, 64, 256] {
            for _ in 0..<20 {
                let a = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
                let b = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
                let given = b.withUnsafeBufferPointer { HashingEmbedder.cosine(a, length: HashingEmbedder.length(a), $0) }
                #expect(given.bitPattern == Self.oneLoopCosine(a, b).bitPattern)
                #expect(HashingEmbedder.cosine(a, b).bitPattern == Self.oneLoopCosine(a, b).bitPattern)
            }
        }
        // Zeros, infinities and NaN in the query: the guards must agree too.
        let odd: [[Float]] = [[0, 0, 0], [.infinity, 1, 0], [.nan, 1, 2], [1e-30, 0, 0], [-.infinity, .infinity, 0]]
        for a in odd {
            for b in odd + [[1, 2, 3]] {
                let given = b.withUnsafeBufferPointer { HashingEmbedder.cosine(a, length: HashingEmbedder.length(a), $0) }
                #expect(given.bitPattern == Self.oneLoopCosine(a, b).bitPattern, "\(a) · \(b)")
            }
        }
        let zeros = [Float](repeating: 0, count: 8)
        #expect(HashingEmbedder.cosine(zeros, [1, 0, 0, 0, 0, 0, 0, 0]) == 0)
        #expect(HashingEmbedder.cosine([1, 2], [1, 2, 3]) == 0)
    }
}
