import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestPipeline

/// The index phase marks the chunks it counted in `indexed_chunks` and leaves their records
/// alone; stores from before schema version 3 keep those marks inside their chunk records,
/// and must read, search, verify, resume and remove exactly as a current store does.
@Suite("Index marks: which chunks the index counted")
struct IndexedChunksTests {
    static let source = "/srv/marks"
    static let collection = PipelineKeys.collection(source)
    static let documentKey = PipelineKeys.document(collection, "notes.md")
    static let texts = [
        "the quick brown fox", "a fox jumps over the lazy dog", "lazy afternoons in the sun",
        "brown bread and honey", "quick quick quick fox",
    ]

    static func id(_ ordinal: Int) -> [UInt8] { PipelineKeys.chunkID(collection: collection, document: 1, ordinal: ordinal) }

    static func tokens(_ ordinal: Int) -> UInt32 { ChunkTerms(text: texts[ordinal]).tokenCount }

    static func record(_ ordinal: Int) -> ChunkRecord {
        ChunkRecord(collection: collection, relativePath: "notes.md", ordinal: UInt32(ordinal), text: texts[ordinal])
    }

    static let document = DocumentRecord(
        contentHash: "h", size: 100, chunkCount: UInt32(texts.count), lastSeenBy: "marks", settingsFingerprint: "f", sequence: 1
    )

    static func open(_ directory: TemporaryDirectory, mode: JobStore.AccessMode = .readWrite) throws -> PipelineStore {
        try PipelineStore(try JobStore.open(at: directory.appending("store"), mode: mode, options: EnvironmentOptions(durability: .noSync)))
    }

    /// The document and its chunks as the load and chunk phases leave them. With
    /// `countedInRecords`, as a build before schema version 3 left them: layout 1 records,
    /// those ordinals already counted by its index phase (marked in the record, in the
    /// statistics, and in a segment).
    static func writeDocument(in store: PipelineStore, countedInRecords: Set<Int>? = nil) throws {
        try store.jobs.environment.write { txn in
            try txn.put(store.documents, documentKey, document.encoded())
            try txn.put(store.stats, IndexStatistics.collectionKey(collection), Array(source.utf8))
            var postings = GroupPostings()
            for ordinal in texts.indices {
                guard let counted = countedInRecords else {
                    try txn.put(store.chunks, id(ordinal), record(ordinal).encoded())
                    continue
                }
                let isCounted = counted.contains(ordinal)
                try txn.put(store.chunks, id(ordinal), record(ordinal).encodedInLayoutOne(tokenCount: isCounted ? tokens(ordinal) : 0, indexed: isCounted))
                if isCounted {
                    try IndexStatistics.add(chunks: 1, tokens: Int64(tokens(ordinal)), in: txn, store: store)
                    postings.add(chunk: try #require(PostingList.ChunkID(id(ordinal))), terms: ChunkTerms(text: texts[ordinal]))
                }
            }
            if countedInRecords?.isEmpty == false { try PostingsSegments.write(postings, job: "old", in: txn, store: store) }
        }
    }

    /// The index phase's group commit of `ordinals` (an ordinal past the texts names a chunk
    /// that is not stored).
    static func index(_ ordinals: [Int], in store: PipelineStore) throws {
        let job = JobContext(id: try JobID(validating: "marks"), source: source, plan: Pipeline.plan, settings: [])
        let done = ordinals.map { (output: ChunkTerms(text: texts[$0 % texts.count]), item: WorkItem(key: id($0))) }
        _ = try store.jobs.write { batch in try IndexPhase(store: store).commitGroup(done, job: job, into: batch) }
    }

    static func statistics(_ store: PipelineStore) throws -> (chunks: UInt64, tokens: UInt64) {
        try store.jobs.read { txn in try IndexStatistics.read(in: txn, store: store) }
    }

    static func marks(_ store: PipelineStore) throws -> [[UInt8]: UInt32] {
        guard let database = store.indexedChunks else { return [:] }
        var found: [[UInt8]: UInt32] = [:]
        try store.jobs.read { txn in
            try txn.scan(database) { key, value in
                found[Array(key)] = IndexedChunks.decode(value)
                return true
            }
        }
        return found
    }

    static func chunkRecords(_ store: PipelineStore) throws -> [[UInt8]] {
        try store.jobs.read { txn in try texts.indices.compactMap { try txn.get(store.chunks, id($0)) } }
    }

    /// BM25 answers to a few queries, as "ordinal:score".
    static func answers(_ store: PipelineStore) async throws -> [[String]] {
        var all: [[String]] = []
        for query in ["fox", "lazy quick", "brown honey sun"] {
            let hits = try await SearchEngine(store).search(query, k: 10, mode: .bm25)
            all.append(hits.map { "\($0.ordinal):\(($0.score * 1e9).rounded())" })
        }
        return all
    }

    static func removeDocument(in store: PipelineStore) throws {
        try store.jobs.environment.write { txn in
            try DocumentRemoval.removeChunks(of: document, key: documentKey, in: txn, store: store)
            try txn.delete(store.documents, documentKey)
        }
    }

    @Test("the index marks each chunk once, with its length, and leaves the chunk records as they were written")
    func marksNotRecords() throws {
        let directory = TemporaryDirectory("marks-current")
        let store = try Self.open(directory)
        try Self.writeDocument(in: store)
        let recordsBefore = try Self.chunkRecords(store)

        try Self.index([0, 1, 2], in: store)
        try Self.index([2, 3, 4, 9], in: store)  // 2 again, as a redo would; 9 is not stored

        #expect(try Self.chunkRecords(store) == recordsBefore, "the index phase rewrote chunk records")
        let expected = Dictionary(uniqueKeysWithValues: Self.texts.indices.map { (Self.id($0), Self.tokens($0)) })
        #expect(try Self.marks(store) == expected)
        let statistics = try Self.statistics(store)
        #expect(statistics.chunks == 5)
        #expect(statistics.tokens == Self.texts.indices.reduce(0) { $0 + UInt64(Self.tokens($1)) })
        #expect(try PipelineVerifier.verify(store).isEmpty)
        let export = try Self.exported(store)
        #expect(export.count == 5 && export.allSatisfy(\.indexed))

        try Self.removeDocument(in: store)
        #expect(try Self.statistics(store) == (0, 0))
        #expect(try Self.marks(store).isEmpty)
        #expect(try PipelineVerifier.verify(store).isEmpty)
    }

    @Test("a store whose chunk records hold their marks (before schema version 3) searches, resumes and removes like a current one")
    func marksInOlderRecords() async throws {
        let current = try Self.open(TemporaryDirectory("marks-new"))
        try Self.writeDocument(in: current)
        try Self.index([0, 1, 2], in: current)

        // An older build indexed chunks 0–2 and stopped; 3 and 4 are chunked, not indexed.
        let olderDirectory = TemporaryDirectory("marks-old")
        do {
            let older = try Self.open(olderDirectory)
            try Self.writeDocument(in: older, countedInRecords: [0, 1, 2])
            try older.jobs.environment.write { txn in
                try txn.deleteDatabase(try #require(older.indexedChunks))
                let meta = try #require(try txn.openDatabase(named: "meta", create: false))
                try txn.put(meta, Array("schema_version".utf8), [0, 0, 0, 2])
            }
        }

        // Read-only, as it is: no mark database at all.
        do {
            let reader = try Self.open(olderDirectory, mode: .readOnly)
            #expect(reader.indexedChunks == nil)
            #expect(try await Self.answers(reader) == (try await Self.answers(current)))
            #expect(try Self.statistics(reader) == (try Self.statistics(current)))
            #expect(try PipelineVerifier.verify(reader).isEmpty)
            #expect(try Self.exported(reader).map(\.indexed) == [true, true, true, false, false])
        }

        // A write open marks it the current version; the run resumes: 0–2 are not counted again.
        let older = try Self.open(olderDirectory)
        #expect(try older.jobs.read { txn in try txn.get(try #require(try txn.openDatabase(named: "meta", create: false)), Array("schema_version".utf8)) }
            == withUnsafeBytes(of: JobStore.schemaVersion.bigEndian) { Array($0) })
        try Self.index([0, 1, 2, 3, 4], in: older)
        try Self.index([3, 4], in: current)
        #expect(try Self.marks(older) == [Self.id(3): Self.tokens(3), Self.id(4): Self.tokens(4)], "chunks counted in their records were marked again")
        #expect(try Self.statistics(older) == (try Self.statistics(current)))
        #expect(try await Self.answers(older) == (try await Self.answers(current)))
        #expect(try PipelineVerifier.verify(older).isEmpty)
        #expect(try Self.exported(older).allSatisfy(\.indexed))

        try Self.removeDocument(in: older)
        #expect(try Self.statistics(older) == (0, 0))
        #expect(try Self.marks(older).isEmpty)
        #expect(try PipelineVerifier.verify(older).isEmpty)
    }

    @Test("verify reports a mark without its chunk, a damaged mark, a wrong length and a chunk counted twice")
    func verifyChecksMarks() throws {
        let store = try Self.open(TemporaryDirectory("marks-verify"))
        try Self.writeDocument(in: store)
        try Self.index([0, 1, 2, 3], in: store)
        let marks = try #require(store.indexedChunks)
        let orphan = PipelineKeys.chunkID(collection: Self.collection, document: 7, ordinal: 0)
        try store.jobs.environment.write { txn in
            try txn.put(marks, orphan, IndexedChunks.encode(3))
            try txn.put(marks, Self.id(0), [0, 1, 2])
            try txn.put(marks, Self.id(1), IndexedChunks.encode(Self.tokens(1) + 1))
            try txn.put(store.chunks, Self.id(2), Self.record(2).encodedInLayoutOne(tokenCount: Self.tokens(2), indexed: true))
        }
        let problems = try PipelineVerifier.verify(store)
        func reported(_ database: String, _ key: [UInt8], _ words: String) -> Bool {
            problems.contains { $0.database == database && $0.key == Inconsistency(database: database, key: key, problem: "").key && $0.problem.contains(words) }
        }
        #expect(reported("indexed_chunks", orphan, "not stored"), "\(problems)")
        #expect(reported("indexed_chunks", Self.id(0), "not a 4-byte"), "\(problems)")
        #expect(reported("chunks", Self.id(1), "the index counted \(Self.tokens(1) + 1)"), "\(problems)")
        #expect(reported("chunks", Self.id(2), "counted twice"), "\(problems)")
        #expect(!problems.contains { $0.key == Inconsistency(database: "chunks", key: Self.id(3), problem: "").key }, "\(problems)")
    }

    @Test("a current store that lost its mark database is refused as damaged, not searched as empty or counted again",
          arguments: [JobStore.AccessMode.readOnly, .readWrite])
    func lostMarkDatabase(mode: JobStore.AccessMode) throws {
        let directory = TemporaryDirectory("marks-lost")
        do {
            let store = try Self.open(directory)
            try Self.writeDocument(in: store)
            try Self.index([0, 1], in: store)
            try store.jobs.environment.write { txn in try txn.deleteDatabase(try #require(store.indexedChunks)) }
        }
        let error = try #require(throws: StoreError.self) { _ = try Self.open(directory, mode: mode) }
        #expect(error.category == .damaged)
        #expect(error.description.contains("indexed_chunks"), "\(error)")
    }

    static func exported(_ store: PipelineStore) throws -> [ExportedChunk] {
        var chunks: [ExportedChunk] = []
        try IndexExport(store).forEachChunk { chunks.append($0) }
        return chunks
    }
}
