@testable internal import IngestPipeline

/// The records of the pipeline's databases and queues (`Sources/IngestPipeline`). A record
/// of the current layout has one encoding per value, so what decodes must encode to the same
/// bytes; a record of an older layout (a chunk with its index mark inside, a vector stored
/// raw where a palette is shorter) must encode to bytes that decode to the same value.
extension FuzzCase {
    public static let documentRecord = FuzzCase("document-record") { bytes in
        guard let record = DocumentRecord(decoding: bytes) else { return }
        expect(record.encoded() == Array(bytes), "a decoded document record encodes to other bytes")
    } seeds: {
        PipelineSeeds.documents.map { $0.encoded() }
    }

    public static let chunkRecord = FuzzCase("chunk-record") { bytes in
        guard let record = ChunkRecord(decoding: bytes) else { return }
        if bytes.first == ChunkRecord.version {
            expect(record.encoded() == Array(bytes), "a decoded chunk record encodes to other bytes")
        }
        var current = record
        current.legacyTokenCount = nil
        expect(ChunkRecord(decoding: record.encoded()) == current, "a decoded chunk record does not survive encode → decode")
    } seeds: {
        PipelineSeeds.chunks.map { $0.encoded() }
    }

    public static let vectorRecord = FuzzCase("vector-record") { bytes in
        guard let record = VectorRecord(decoding: bytes) else { return }
        if bytes.first == VectorRecord.rawLayout {
            expect(record.encodedRaw() == Array(bytes), "a decoded raw vector record encodes to other bytes")
        }
        for encoding in [record.encoded(), record.encodedRaw()] {
            let again = VectorRecord(decoding: encoding)
            expect(
                again?.embedder == record.embedder && again?.values.map(\.bitPattern) == record.values.map(\.bitPattern),
                "a decoded vector record does not survive encode → decode bit for bit"
            )
        }
        expect(record.encoded().count <= record.encodedRaw().count, "a palette record is longer than the raw floats")
        expect(record.valueBytes.count == record.values.count * 4, "a vector's value bytes have the wrong length")
    } seeds: {
        PipelineSeeds.vectors.map { $0.encoded() }
    }

    public static let postings = FuzzCase("postings") { bytes in
        let fixed = PostingsSegments.decode(Array(bytes), format: .fixed)
        expect(fixed.count == bytes.count / 20, "\(bytes.count) bytes decoded to \(fixed.count) postings")
        for postings in [fixed, PostingsSegments.decode(Array(bytes), format: .prefixed)] {
            // Encoding sorts by chunk and keeps the last posting of a chunk listed twice.
            let expected = Dictionary(postings.map { ($0.chunk, $0.frequency) }, uniquingKeysWith: { _, last in last })
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
                .map { PostingsSegments.Posting(chunk: $0.key, frequency: $0.value) }
            expect(PostingsSegments.decode(PostingsSegments.encode(postings), format: .prefixed) == expected, "postings do not round-trip")
        }
    } seeds: {
        [
            PostingsSegments.encode(PipelineSeeds.postings), [],
            PipelineSeeds.postings.flatMap { $0.chunk + withUnsafeBytes(of: $0.frequency.bigEndian) { Array($0) } },
        ]
    }

    public static let pipelineSettings = FuzzCase("pipeline-settings") { bytes in
        guard let settings = try? PipelineSettings(stored: Array(bytes)) else { return }
        _ = settings.indexFingerprint
        if !settings.embedder.hasPrefix("exec:") { _ = try? settings.makeEmbedder() }
        let again = try? PipelineSettings(stored: settings.encoded())
        expect(again == settings, "decoded settings do not survive encode → decode")
    } seeds: {
        PipelineSeeds.settings.map { $0.encoded() }
    }

    /// What the load phase hands the chunk phase, and what the walk hands the load phase.
    public static let queueItems = FuzzCase("queue-items") { bytes in
        let array = Array(bytes)
        if let item = ChunkItem(decoding: array) {
            let again = ChunkItem(decoding: item.encoded)
            expect(again?.absolutePath == item.absolutePath && again?.contentHash == item.contentHash, "a chunk item does not round-trip")
        }
        let load = LoadItem(decoding: array)
        let entry = WalkEntry(relativePath: "r", absolutePath: load.absolutePath, size: 0, modifiedNanoseconds: 0, problem: load.problem)
        let again = LoadItem(decoding: LoadItem(entry).encoded)
        expect(again.absolutePath == load.absolutePath && again.problem == load.problem, "a load item does not round-trip")
    } seeds: {
        [
            ChunkItem(absolutePath: "/srv/docs/a.md", contentHash: String(repeating: "ab", count: 32)).encoded,
            LoadItem(WalkEntry(relativePath: "a", absolutePath: "/srv/a", size: 1, modifiedNanoseconds: 1, problem: nil)).encoded,
            LoadItem(WalkEntry(relativePath: "b", absolutePath: "/srv/b", size: 0, modifiedNanoseconds: 0, problem: "permission denied")).encoded,
        ]
    }

    /// A reply line of an `exec:` embedder; the first two bytes pick the batch size and dimension.
    public static let execReply = FuzzCase("exec-reply") { bytes in
        guard bytes.count >= 2 else { return }
        let count = Int(bytes[0] % 8)
        let dimension = Int(bytes[1] % 8) + 1
        let line = Array(bytes.dropFirst(2))
        guard let results = try? ExecReply.results(of: line, count: count, dimension: dimension, offset: 0, prefix: "") else { return }
        expect(results.count == count, "\(results.count) results for a batch of \(count)")
        for case .success(let vector) in results {
            expect(vector.count == dimension && vector.allSatisfy(\.isFinite), "an accepted vector is not \(dimension) finite floats")
        }
    } seeds: {
        [
            [2, 2] + Array(#"{"vectors": [[1, 2], [0.5, -1e3]]}"#.utf8),
            [2, 2] + Array(#"{"vectors": [null, [1, NaN]], "errors": ["too long", null]}"#.utf8),
            [1, 2] + Array(#"{"vectors": [["x", 1]]}"#.utf8),
        ]
    }

    public static let pipeline: [FuzzCase] = [
        documentRecord, chunkRecord, vectorRecord, postings, pipelineSettings, queueItems, execReply,
    ]
}
