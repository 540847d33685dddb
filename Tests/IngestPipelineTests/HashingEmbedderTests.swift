import IngestPipeline
import IngestTestSupport
import Testing

/// The built-in feature-hashing embedder.
struct HashingEmbedderTests {
    /// FNV-1a 64, written here apart from the embedder's own.
    private func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(14_695_981_039_346_656_037 as UInt64) { hash, byte in
            (hash ^ UInt64(byte)) &* 1_099_511_628_211
        }
    }

    private func norm(_ v: [Float]) -> Double {
        v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    @Test func fnvReferenceMatchesThePublishedTestVectors() {
        // From the FNV reference test suite: FNV-1a 64 of "" and "a".
        #expect(fnv1a64([]) == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
    }

    @Test func aSingleTokenLandsInItsBucketWithItsSign() throws {
        let hash = fnv1a64(Array("a".utf8))
        for dimension in [8, 100, 256, 4096] {
            let vector = try HashingEmbedder(dimension: dimension).vector(for: "a")
            let bucket = Int(hash % UInt64(dimension))
            let sign: Float = hash >> 63 == 1 ? -1 : 1
            var expected = [Float](repeating: 0, count: dimension)
            expected[bucket] = sign
            #expect(vector == expected, "dimension \(dimension)")
        }
        // Pinned by hand for the default: 0x…8c % 256 = 140, and bit 63 of 0xaf… is set.
        let vector = try HashingEmbedder().vector(for: "A!")
        #expect(vector[140] == -1)
        #expect(vector.filter { $0 != 0 }.count == 1)
    }

    @Test func twoTokensAddTheirBigramAtHalfWeight() throws {
        let dimension = 64
        var expected = [Double](repeating: 0, count: dimension)
        func add(_ bytes: [UInt8], _ weight: Double) {
            let hash = fnv1a64(bytes)
            expected[Int(hash % UInt64(dimension))] += hash >> 63 == 1 ? -weight : weight
        }
        add(Array("hello".utf8), 1)
        add(Array("world".utf8), 1)
        add([0xFF] + Array("hello world".utf8), 0.5)
        let length = expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let vector = try HashingEmbedder(dimension: dimension).vector(for: "Hello, World")
        #expect(vector.count == dimension)
        for i in 0..<dimension {
            #expect(abs(Double(vector[i]) - expected[i] / length) < 1e-6, "bucket \(i)")
        }
    }

    @Test("vectors follow the documented construction, computed here token by token, for seeded texts at every kind of dimension",
          arguments: [8, 9, 64, 100, 256, 1000, 4096])
    func matchesTheDocumentedConstruction(dimension: Int) throws {
        var generator = SeededGenerator(seed: UInt64(dimension))
        let words = ["a", "to", "the", "Ingest", "phase", "größe", "日本語", "x9", "commit", "résumé", "durable", "ünïcödé"]
        let embedder = try HashingEmbedder(dimension: dimension)
        for _ in 0..<40 {
            let text = (0..<Int.random(in: 0...60, using: &generator))
                .map { _ in words[Int.random(in: 0..<words.count, using: &generator)] }
                .joined(separator: [" ", ", ", "\n", " — "][Int.random(in: 0..<4, using: &generator)])
            var expected = [Double](repeating: 0, count: dimension)
            func add(_ bytes: [UInt8], _ weight: Double) {
                let hash = fnv1a64(bytes)
                expected[Int(hash % UInt64(dimension))] += hash >> 63 == 1 ? -weight : weight
            }
            let tokens = Tokenizer.tokens(in: text).map { Array($0.utf8) }
            for (index, token) in tokens.enumerated() {
                add(token, 1)
                if index > 0 { add([0xFF] + tokens[index - 1] + [0x20] + token, 0.5) }
            }
            let length = expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let vector = embedder.vector(for: text)
            #expect(vector.count == dimension)
            for i in 0..<dimension {
                let want = length > 0 ? expected[i] / length : 0
                #expect(abs(Double(vector[i]) - want) < 1e-6, "\(text): bucket \(i)")
            }
        }
    }

    @Test func sameTextGivesBitIdenticalVectors() async throws {
        let embedder = try HashingEmbedder()
        let text = "Deterministic feature hashing: the same text, the same vector — every time. 日本語 ✓"
        let first = embedder.vector(for: text).map(\.bitPattern)
        let second = try HashingEmbedder().vector(for: text).map(\.bitPattern)
        let batch = try await embedder.embed([text, "other", text])
        #expect(first == second)
        #expect(batch.count == 3)
        #expect(batch[0].map(\.bitPattern) == first)
        #expect(batch[2].map(\.bitPattern) == first)
        #expect(batch[1].map(\.bitPattern) != first)
    }

    @Test func concurrentCallsAgree() async throws {
        let embedder = try HashingEmbedder(dimension: 512)
        let texts = (0..<64).map { "document \($0) about topic \($0 % 7) with shared words" }
        let expected = try await embedder.embed(texts)
        let results = try await withThrowingTaskGroup(of: [[Float]].self) { group in
            for _ in 0..<8 { group.addTask { try await embedder.embed(texts) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        for result in results { #expect(result == expected) }
    }

    @Test(arguments: [
        "a", "hello world", "The quick brown fox jumps over the lazy dog", String(repeating: "word ", count: 5000),
        "日本語のテキスト と English mixed 123",
    ])
    func vectorsHaveUnitLength(text: String) throws {
        let vector = try HashingEmbedder().vector(for: text)
        #expect(abs(norm(vector) - 1) < 1e-5)
    }

    @Test(arguments: ["", "   \n\t", "!!! ... —", "🙂👍🎉"])
    func textWithoutTokensGivesTheZeroVector(text: String) throws {
        let vector = try HashingEmbedder(dimension: 32).vector(for: text)
        #expect(vector == [Float](repeating: 0, count: 32))
    }

    @Test(arguments: [8, 9, 100, 256, 1000, 4096])
    func dimensionIsRespected(dimension: Int) async throws {
        let embedder = try HashingEmbedder(dimension: dimension)
        #expect(embedder.dimension == dimension)
        #expect(embedder.identity == "hashing-\(dimension)")
        #expect(embedder.vector(for: "some text to embed here").count == dimension)
        let batch = try await embedder.embed(["x", "", "y z"])
        #expect(batch.map(\.count) == [dimension, dimension, dimension])
    }

    @Test func theDefaultDimensionIs256() throws {
        let embedder = try HashingEmbedder()
        #expect(embedder.dimension == 256)
        #expect(embedder.identity == "hashing-256")
    }

    @Test(arguments: [-1, 0, 7, 4097, Int.max])
    func dimensionsOutOfRangeAreRefused(dimension: Int) {
        let error = #expect(throws: HashingEmbedderError.self) { try HashingEmbedder(dimension: dimension) }
        #expect(error?.dimension == dimension)
        #expect(error?.description.contains("use 8 to 4096") == true)
    }

    @Test func identityRoundTrips() throws {
        for dimension in [8, 256, 4096] {
            let embedder = try HashingEmbedder(dimension: dimension)
            #expect(HashingEmbedder(identity: embedder.identity)?.dimension == dimension)
        }
        for bad in ["hashing-7", "hashing-4097", "hashing-", "hashing-0256", "hashing-+256", "hashing-256 ", "exec:cat", ""] {
            #expect(HashingEmbedder(identity: bad) == nil, "\(bad)")
        }
    }

    @Test func similarTextsAreCloserThanUnrelatedOnes() throws {
        let embedder = try HashingEmbedder()
        let base = embedder.vector(for: "The quick brown fox jumps over the lazy dog near the river bank")
        let similar = embedder.vector(for: "A quick brown fox jumped over the lazy dog by the river")
        let unrelated = embedder.vector(for: "Quarterly revenue grew strongly in European markets this year")
        let close = HashingEmbedder.cosine(base, similar)
        let far = HashingEmbedder.cosine(base, unrelated)
        #expect(close > 0.5)
        #expect(far < 0.2)
        #expect(close > far)
    }

    @Test func caseAndPunctuationDoNotChangeTheVector() throws {
        let embedder = try HashingEmbedder()
        #expect(embedder.vector(for: "Hello, World!") == embedder.vector(for: "hello world"))
        // Word order does: bigrams differ.
        #expect(embedder.vector(for: "hello world") != embedder.vector(for: "world hello"))
    }

    @Test func cosineOfKnownVectors() {
        #expect(HashingEmbedder.cosine([1, 0, 0], [1, 0, 0]) == 1)
        #expect(HashingEmbedder.cosine([1, 0, 0], [0, 2, 0]) == 0)
        #expect(HashingEmbedder.cosine([1, 2, 3], [-1, -2, -3]) == -1)
        #expect(abs(HashingEmbedder.cosine([1, 1, 0], [1, 0, 0]) - 0.70710677) < 1e-6)
        #expect(HashingEmbedder.cosine([0, 0, 0], [1, 2, 3]) == 0)
        #expect(HashingEmbedder.cosine([], []) == 0)
    }
}
