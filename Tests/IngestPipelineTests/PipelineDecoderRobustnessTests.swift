import IngestStore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestPipeline

/// The pipeline's record decoders, fed their own encodings and thousands of damaged
/// variants (seeded): each variant decodes or is refused — a trap would end the test
/// process — and these records have one encoding per value, so what decodes is exactly
/// what `encoded()` writes. `tools/fuzz/run` searches the same decoders far longer.
@Suite("Pipeline decoders never trap on damaged bytes")
struct PipelineDecoderRobustnessTests {
    static let collection = PipelineKeys.collection("/srv/docs")

    private func expectRobust(_ report: DecoderReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.badSeeds.isEmpty, "valid encodings that do not round-trip: \(report.badSeeds)", sourceLocation: sourceLocation)
        #expect(report.unstable.isEmpty, "decoded values that do not survive encode → decode: \(report.unstable.prefix(3))", sourceLocation: sourceLocation)
        #expect(report.refused > 0, "no mutation was refused, so the test never reached an error path", sourceLocation: sourceLocation)
    }

    @Test("document records")
    func documents() {
        let records = [
            DocumentRecord(contentHash: "ab12", size: 99, chunkCount: 4, lastSeenBy: "job-1", settingsFingerprint: "chunk 1000/100", sequence: 3),
            DocumentRecord(contentHash: "", size: .max, chunkCount: .max, lastSeenBy: "", settingsFingerprint: "", sequence: .max),
        ]
        expectRobust(DecoderProperty.check(seeds: records.map { $0.encoded() }) { DocumentRecord(decoding: $0) } encode: { $0.encoded() })
    }

    @Test("chunk records")
    func chunks() {
        let records = [
            ChunkRecord(collection: Self.collection, relativePath: "a/ü.md", ordinal: 2, text: "some text"),
            ChunkRecord(collection: Self.collection, relativePath: "", ordinal: .max, text: ""),
        ]
        expectRobust(DecoderProperty.check(seeds: records.map { $0.encoded() }) { ChunkRecord(decoding: $0) } encode: { $0.encoded() })
    }

    @Test("layout 1 chunk records decode with the mark they hold, and damaged ones are refused")
    func layoutOneChunks() throws {
        let chunk = ChunkRecord(collection: Self.collection, relativePath: "a/ü.md", ordinal: 2, text: "some text")
        let counted = try #require(ChunkRecord(decoding: chunk.encodedInLayoutOne(tokenCount: 2, indexed: true)))
        #expect(counted.legacyTokenCount == 2)
        #expect(counted.text == "some text" && counted.relativePath == "a/ü.md" && counted.ordinal == 2)
        let uncounted = try #require(ChunkRecord(decoding: chunk.encodedInLayoutOne(tokenCount: 0, indexed: false)))
        #expect(uncounted.legacyTokenCount == nil)
        #expect(uncounted.encoded().first == ChunkRecord.version, "written again, a record takes the current layout")

        let seeds = [chunk.encodedInLayoutOne(tokenCount: 2, indexed: true), chunk.encodedInLayoutOne(tokenCount: 0, indexed: false)]
        expectRobust(DecoderProperty.check(seeds: seeds) { ChunkRecord(decoding: $0) } encode: {
            $0.encodedInLayoutOne(tokenCount: $0.legacyTokenCount ?? 0, indexed: $0.legacyTokenCount != nil)
        })
    }

    @Test("vector records")
    func vectors() {
        let records = [VectorRecord(embedder: "hashing-8", values: [1, -0.5, .nan, 0, 0, 0, 0, .infinity]), VectorRecord(embedder: "", values: [])]
        expectRobust(DecoderProperty.check(seeds: records.map { $0.encoded() }) { VectorRecord(decoding: $0) } encode: { $0.encoded() })
    }

    @Test("a vector record's floats are float32 little-endian after the name and the count")
    func vectorLayout() throws {
        let bytes = VectorRecord(embedder: "e", values: [1, -2.5]).encoded()
        #expect(bytes == [1] + [0, 0, 0, 0, 0, 0, 0, 1] + Array("e".utf8) + [0, 0, 0, 0, 0, 0, 0, 2]
            + [0x00, 0x00, 0x80, 0x3F] + [0x00, 0x00, 0x20, 0xC0])
        #expect(VectorRecord(decoding: bytes)?.values == [1, -2.5])
    }

    @Test("postings, either format: damaged bytes decode to the postings before the damage", arguments: [PostingFormat.fixed, .prefixed])
    func postings(format: PostingFormat) {
        let list = (0..<3).map { PostingsSegments.Posting(chunk: PipelineKeys.chunkID(collection: Self.collection, document: 1, ordinal: $0), frequency: 7) }
        let seed = format == .prefixed ? PostingsSegments.encode(list) : list.flatMap { $0.chunk + [0, 0, 0, 7] }
        #expect(PostingsSegments.decode(seed, format: format) == list)
        for bytes in ByteMutations.variants(of: [seed], count: 500, seed: 3) {
            let decoded = PostingsSegments.decode(bytes, format: format)
            if format == .fixed { #expect(decoded.count == bytes.count / 20) }
            // Encoding keeps each chunk once, sorted; decoding that gives it back.
            let distinct = Set(decoded.map(\.chunk)).count
            #expect(PostingsSegments.decode(PostingsSegments.encode(decoded), format: .prefixed).count == distinct)
        }
    }

    @Test("stored settings decode only when they would pass submit")
    func settings() {
        let seeds = [
            PipelineSettings(),
            PipelineSettings(include: ["*.md"], exclude: ["build/"], embedder: "exec:./embed", dimension: 16, maxFileBytes: 10),
        ].map { $0.encoded() }
        let report = DecoderProperty.check(seeds: seeds, mutations: 1000) { bytes in
            try? PipelineSettings(stored: bytes)
        } encode: { $0.encoded() }
        expectRobust(report)
    }

    @Test("queue payloads between load and chunk")
    func queueItems() {
        let seeds = [ChunkItem(absolutePath: "/srv/a.md", contentHash: "ab").encoded, [1] + Array("permission denied".utf8)]
        for bytes in ByteMutations.variants(of: seeds, count: 500, seed: 5) {
            if let item = ChunkItem(decoding: bytes) {
                let again = ChunkItem(decoding: item.encoded)
                #expect(again?.absolutePath == item.absolutePath && again?.contentHash == item.contentHash)
            }
            let load = LoadItem(decoding: bytes)
            #expect(load.problem == nil || load.absolutePath.isEmpty, "a load item is a path or a problem, never both")
        }
    }

    @Test("exec embedder reply lines: a result per text, or a batch error")
    func execReplies() {
        let seeds = [Array(#"{"vectors": [[1, 2], [0.5, -3]]}"#.utf8), Array(#"{"vectors": [null, [1, NaN]], "errors": ["long", null]}"#.utf8)]
        for bytes in ByteMutations.variants(of: seeds, count: 1500, seed: 9) {
            guard let results = try? ExecReply.results(of: bytes, count: 2, dimension: 2, offset: 0, prefix: "") else { continue }
            #expect(results.count == 2)
        }
    }

    // MARK: Inputs the fuzzers found

    /// `fuzz-exec-reply`: Foundation's JSON5 parser traps (CodableUtilities.swift:685) on an
    /// unquoted key that is not UTF-8, so a child writing such a line crashed `ingest run`.
    @Test("a reply line that is not UTF-8 is a batch error, not a crash")
    func execReplyNotUTF8() {
        let line: [UInt8] = [0x7B, 0xDE, 0x89, 0xFD, 0xFD, 0x9A, 0x9C, 0x8B, 0x87, 0x72, 0x73, 0x22, 0x3A, 0x20, 0x7B]
        #expect {
            _ = try ExecReply.results(of: line, count: 1, dimension: 2, offset: 0, prefix: "embedder ")
        } throws: { error in
            (error as? EmbedderError).map { $0.scope == .batch && $0.message.contains("not UTF-8") } ?? false
        }
    }

    /// `fuzz-exec-reply`: Foundation's JSON5 number scanner traps on an exponent sign with
    /// no digits after it (`1e-`), even inside valid UTF-8; such a line is now refused.
    @Test("a reply number like 1e- is a batch error, not a crash", arguments: [
        #"{"vectors": [[1, 0, 2], [075,1e-]]}"#, #"{"vectors": [[1e+]]}"#, #"{"vectors": [[1.5E-], [1]]}"#,
    ])
    func execReplyExponentWithoutDigits(line: String) {
        #expect {
            _ = try ExecReply.results(of: Array(line.utf8), count: 2, dimension: 3, offset: 0, prefix: "")
        } throws: { error in
            (error as? EmbedderError).map { $0.scope == .batch && $0.message.contains("exponent") } ?? false
        }
    }

    @Test("exponents with digits, and e+ inside strings, still parse")
    func execReplyValidExponents() throws {
        let line = #"{"vectors": [[1e-3, 2.5E+2]], "errors": ["1e- in a 'reason'"]}"#
        let results = try ExecReply.results(of: Array(line.utf8), count: 1, dimension: 2, offset: 0, prefix: "")
        #expect(results.count == 1)
        if case .failure(let error) = results.first { #expect(error.message.contains("1e- in a 'reason'")) }
    }

    /// `fuzz-document-record`, `fuzz-chunk-record`: counts above 2^32 were truncated and
    /// flag bytes other than 0 and 1 read as false, so damaged records decoded as other values.
    @Test("out-of-range fields are refused, not truncated")
    func outOfRangeFields() {
        let document = DocumentRecord(contentHash: "h", size: 1, chunkCount: 1, lastSeenBy: "j", settingsFingerprint: "f", sequence: 1)
        var bytes = document.encoded()
        let countOffset = 1 + 8 + 1 + 8  // version, hash length + "h", size
        bytes[countOffset + 3] = 1  // chunk count 2^32 + 1
        #expect(DocumentRecord(decoding: bytes) == nil)

        var chunk = ChunkRecord(collection: Self.collection, relativePath: "p", ordinal: 0, text: "t").encodedInLayoutOne(tokenCount: 1, indexed: true)
        let flagOffset = 1 + 8 + 8 + 1 + 8 + 8  // version, collection, path, ordinal, tokens
        #expect(chunk[flagOffset] == 1)
        chunk[flagOffset] = 2
        #expect(ChunkRecord(decoding: chunk) == nil)
    }

    /// Stored settings were trusted: a damaged record with, say, a zero file-size limit ran.
    @Test("stored settings that break a submit rule are refused")
    func invalidStoredSettings() {
        #expect(throws: PipelineSettingsError.self) { try PipelineSettings(stored: PipelineSettings(maxFileBytes: 0).encoded()) }
        #expect(throws: PipelineSettingsError.self) { try PipelineSettings(stored: PipelineSettings(embedder: "exec:x", dimension: -1).encoded()) }
    }

    /// A damaged statistics counter near 2^64 made the next `add` overflow and trap.
    @Test("statistics counters saturate at both ends")
    func countersSaturate() {
        #expect(IndexStatistics.adjusted(.max - 1, by: 5) == .max)
        #expect(IndexStatistics.adjusted(3, by: -10) == 0)
        #expect(IndexStatistics.adjusted(3, by: .min) == 0)
        #expect(IndexStatistics.adjusted(3, by: 4) == 7)
    }

    /// A damaged `embedder:` dimension past `Int.max` trapped `ingest search --mode vector`;
    /// now it is reported as damage with its key (exit 65), like any other damaged record.
    @Test("an embedder entry with an impossible dimension is reported as damage, with its key")
    func damagedEmbedderDimension() throws {
        let directory = TemporaryDirectory("pipeline-decoders")
        let jobs = try JobStore.open(at: directory.appending("store"))
        let store = try PipelineStore(jobs)
        try jobs.environment.write { txn in
            try txn.put(store.stats, IndexStatistics.embedderKey("hashing-8"), BigEndian.bytes(8))
        }
        let sound = try jobs.environment.read { txn in try IndexStatistics.embedders(in: txn, store: store) }
        #expect(sound.map(\.identity) == ["hashing-8"] && sound.first?.dimension == 8)
        for (name, dimension) in [("exec:big", UInt64.max), ("exec:zero", 0)] {
            try jobs.environment.write { txn in try txn.put(store.stats, IndexStatistics.embedderKey(name), BigEndian.bytes(dimension)) }
            let error = try #require(throws: StoreError.self) {
                try jobs.environment.read { txn in try IndexStatistics.embedders(in: txn, store: store) }
            }
            #expect(error.category == .damaged && error.description.contains("embedder:\(name)"), "\(error)")
            try jobs.environment.write { txn in _ = try txn.delete(store.stats, IndexStatistics.embedderKey(name)) }
        }
    }
}
