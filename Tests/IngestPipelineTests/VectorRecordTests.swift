import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestPipeline

/// Vectors are stored raw (layout 1) or as a palette of their distinct values with an index
/// per value (layout 2); either way a reader must get back exactly the floats written, and a
/// store of raw vectors (before schema version 4) must read like one of palettes.
@Suite("Vector records: raw and palette layouts")
struct VectorRecordTests {
    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// `distinct` values, cycled over `count` positions.
    static func cycling(_ distinct: Int, count: Int) -> [Float] {
        (0..<count).map { Float($0 % distinct) * 0.25 - 1 }
    }

    @Test("both layouts give back the exact floats: signed zeros, NaN payloads, infinities, and every index width")
    func exactRoundTrip() throws {
        var generator = SeededGenerator(seed: 0x7EC7)
        let embedder = try HashingEmbedder(dimension: 256)
        var vectors: [[Float]] = [
            [], [0.5], [0, -0.0, 0, -0.0], [1, -0.5, .nan, 0, 0, 0, 0, .infinity],
            [Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0x7FC0_0002), 0, 0, 0, 0, 0, 0, 0, 0],
            embedder.vector(for: "the quick brown fox jumps over the lazy dog, and the dog sleeps on"),
            (0..<300).map { _ in Float.random(in: -1...1, using: &generator) },
        ]
        // Palettes at and past each index width's limit: 2, 4, 16 and 256 values.
        for distinct in [2, 3, 4, 5, 16, 17, 255, 256, 257] { vectors.append(Self.cycling(distinct, count: 1024)) }
        for values in vectors {
            let record = VectorRecord(embedder: "e", values: values)
            for bytes in [record.encoded(), record.encodedRaw()] {
                let decoded = try #require(VectorRecord(decoding: bytes), "\(values.count) values did not decode")
                #expect(decoded.embedder == "e")
                #expect(Self.bits(decoded.values) == Self.bits(values))
                #expect(decoded.valueBytes == record.valueBytes)
            }
        }
    }

    @Test("the encoder writes a palette exactly when it is shorter than the raw floats")
    func shorterLayoutChosen() {
        for distinct in [1, 2, 5, 16, 17, 100, 192, 256, 257] {
            for count in [1, 2, 3, 8, 64, 256, 1024] where distinct <= count {
                let record = VectorRecord(embedder: "hashing-256", values: Self.cycling(distinct, count: count))
                let width = VectorRecord.indexWidth(entries: distinct)
                let paletteShorter = distinct <= VectorRecord.maxPalette && 2 + 4 * distinct + (count * width + 7) / 8 < 4 * count
                let bytes = record.encoded()
                #expect(bytes.first == (paletteShorter ? VectorRecord.paletteLayout : VectorRecord.rawLayout), "\(distinct) of \(count)")
                #expect(bytes.count <= record.encodedRaw().count)
            }
        }
    }

    @Test("a palette record, byte by byte: count, palette in order of first use, 2-bit indices from the low bits up")
    func paletteLayoutBytes() throws {
        let bytes = VectorRecord(embedder: "e", values: [0.5, -0.5, 0.5, 0.5, 0, 0.5, -0.5, 0.5]).encoded()
        #expect(bytes == [2] + [0, 0, 0, 0, 0, 0, 0, 1] + Array("e".utf8) + [0, 0, 0, 0, 0, 0, 0, 8]
            + [0, 3] + [0x00, 0x00, 0x00, 0x3F] + [0x00, 0x00, 0x00, 0xBF] + [0x00, 0x00, 0x00, 0x00]
            + [0b00_00_01_00, 0b00_01_00_10])
    }

    @Test("a palette index past the palette, or sizes that do not add up, do not decode")
    func damagedPalettes() throws {
        let good = VectorRecord(embedder: "e", values: [0.5, -0.5, 0.5, 0.5, 0, 0.5, -0.5, 0.5]).encoded()
        var pastPalette = good
        pastPalette[pastPalette.count - 1] |= 0b11  // index 3 of a 3-value palette
        var moreEntries = good
        moreEntries[19] = 4  // claims a fourth value: the indices no longer end the record
        for bytes in [pastPalette, moreEntries, Array(good.dropLast()), good + [0]] {
            #expect(VectorRecord(decoding: bytes) == nil)
        }
    }

    @Test("the hashing embedder's vectors take under two fifths of their raw size")
    func hashingVectorsShrink() throws {
        let embedder = try HashingEmbedder(dimension: 256)
        var generator = SeededGenerator(seed: 0x51CE)
        let words = ["ingest", "store", "phase", "chunk", "vector", "index", "runner", "commit", "page", "sync",
                     "resume", "power", "card", "budget", "lease", "journal", "the", "a", "of", "and"]
        for _ in 0..<50 {
            // About a default chunk's worth of words.
            let text = (0..<180).map { _ in words[Int.random(in: 0..<words.count, using: &generator)] }.joined(separator: " ")
            let record = VectorRecord(embedder: embedder.identity, values: embedder.vector(for: text))
            #expect(record.encoded().count * 5 < record.encodedRaw().count * 2, "\(record.encoded().count) bytes")
        }
    }
}

/// The same document, chunked and indexed by `IndexedChunksTests`' helpers, with vectors.
@Suite("Vector records in a store")
struct StoredVectorTests {
    typealias Document = IndexedChunksTests
    static let embedderDimension = 64

    /// The embed phase's work and group commit for the chunks at `ordinals`.
    static func embed(_ ordinals: [Int], in store: PipelineStore) async throws {
        let phase = EmbedPhase(store: store, embedder: try HashingEmbedder(dimension: embedderDimension))
        let job = JobContext(id: try JobID(validating: "vectors"), source: Document.source, plan: Pipeline.plan, settings: [])
        let items = ordinals.map { WorkItem(key: Document.id($0)) }
        let outcomes = try await phase.process(items, job: job)
        let done = zip(outcomes, items).compactMap { outcome, item -> (output: EmbedPhase.Output, item: WorkItem)? in
            guard case .done(let output) = outcome else { return nil }
            return (output, item)
        }
        #expect(done.count == ordinals.count)
        _ = try store.jobs.write { batch in try phase.commitGroup(done, job: job, into: batch) }
    }

    /// A document chunked, indexed and embedded, as a finished job leaves it.
    static func finished(_ directory: TemporaryDirectory) async throws -> PipelineStore {
        let store = try Document.open(directory)
        try Document.writeDocument(in: store)
        try Document.index(Array(Document.texts.indices), in: store)
        try await embed(Array(Document.texts.indices), in: store)
        return store
    }

    /// Each stored vector's layout byte, in chunk order.
    static func layouts(_ store: PipelineStore) throws -> [UInt8?] {
        try store.jobs.read { txn in try Document.texts.indices.map { try txn.get(store.vectors, Document.id($0))?.first } }
    }

    /// Vector and hybrid answers to a few queries, as "ordinal:score bits".
    static func answers(_ store: PipelineStore) async throws -> [[String]] {
        var all: [[String]] = []
        for query in ["fox", "lazy quick", "brown honey sun"] {
            for mode in [SearchMode.vector, .hybrid] {
                let hits = try await SearchEngine(store).search(query, k: 10, mode: mode)
                all.append(hits.map { "\($0.ordinal):\($0.score.bitPattern)" })
            }
        }
        return all
    }

    static func schemaVersion(_ store: PipelineStore) throws -> [UInt8]? {
        try store.jobs.read { txn in
            try txn.get(try #require(try txn.openDatabase(named: "meta", create: false)), Array("schema_version".utf8))
        }
    }

    @Test("a store of raw vectors (before schema version 4) searches, exports and verifies like one of palettes; a write marks it version 4")
    func rawVectorsInOlderStore() async throws {
        let current = try await Self.finished(TemporaryDirectory("vectors-new"))
        #expect(try Self.layouts(current) == Array(repeating: VectorRecord.paletteLayout, count: Document.texts.count))
        #expect(try !(await Self.answers(current)).joined().isEmpty)

        // An older build wrote every vector raw.
        let olderDirectory = TemporaryDirectory("vectors-old")
        do {
            let older = try await Self.finished(olderDirectory)
            try older.jobs.environment.write { txn in
                for ordinal in Document.texts.indices {
                    let stored = try #require(try txn.get(older.vectors, Document.id(ordinal)).flatMap(VectorRecord.init(decoding:)))
                    try txn.put(older.vectors, Document.id(ordinal), stored.encodedRaw())
                }
                let meta = try #require(try txn.openDatabase(named: "meta", create: false))
                try txn.put(meta, Array("schema_version".utf8), [0, 0, 0, 3])
            }
        }

        do {
            let reader = try Document.open(olderDirectory, mode: .readOnly)
            #expect(try Self.layouts(reader) == Array(repeating: VectorRecord.rawLayout, count: Document.texts.count))
            #expect(try await Self.answers(reader) == (try await Self.answers(current)))
            #expect(try Document.exported(reader) == (try Document.exported(current)))
            #expect(try PipelineVerifier.verify(reader).isEmpty)
        }

        // A write open marks it version 4; a redo of two chunks writes palettes among the raw ones.
        let older = try Document.open(olderDirectory)
        #expect(try Self.schemaVersion(older) == withUnsafeBytes(of: JobStore.schemaVersion.bigEndian) { Array($0) })
        #expect(JobStore.schemaVersion == 4)
        try await Self.embed([3, 4], in: older)
        #expect(try Self.layouts(older) == [1, 1, 1, 2, 2])
        #expect(try await Self.answers(older) == (try await Self.answers(current)))
        #expect(try Document.exported(older) == (try Document.exported(current)))
        #expect(try PipelineVerifier.verify(older).isEmpty)
    }

    @Test("verify reports a palette index past its palette, and takes a raw record of the same floats as sound")
    func verifyChecksPalettes() async throws {
        let store = try await Self.finished(TemporaryDirectory("vectors-verify"))
        let values = VectorRecordTests.cycling(3, count: Self.embedderDimension)
        var damaged = VectorRecord(embedder: "hashing-\(Self.embedderDimension)", values: values).encoded()
        #expect(damaged.first == VectorRecord.paletteLayout)
        damaged[damaged.count - 1] = 0xFF  // 2-bit indices of 3: the last ones now say 3
        try store.jobs.environment.write { txn in
            try txn.put(store.vectors, Document.id(0), damaged)
            try txn.put(store.vectors, Document.id(1), VectorRecord(embedder: "hashing-\(Self.embedderDimension)", values: values).encodedRaw())
        }
        let problems = try PipelineVerifier.verify(store)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.database == "vectors")
        #expect(problems.first?.problem.contains("palette index past") == true, "\(problems)")
    }
}
