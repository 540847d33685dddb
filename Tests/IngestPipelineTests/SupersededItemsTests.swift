import Foundation
import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestPipeline

/// A job paused half-way may find, when it resumes, that a later job over the same source
/// replaced a document it had queued: its chunk items name chunks that are gone, its file
/// items content that was loaded since. Those items are superseded — what replaced them is
/// indexed — so they are done with nothing to write, not failures the user could act on.
/// A file that changed with no job having loaded the change still fails, as before.
@Suite("Items superseded by a later job over the source")
struct SupersededItemsTests {
    typealias Fixture = IndexedChunksTests
    static let job = JobContext(
        id: JobID.generate(at: Timestamp(millisecondsSince1970: 0)), source: Fixture.source, plan: Pipeline.plan, settings: []
    )

    /// A present chunk and one whose document was re-chunked since.
    static let items = [WorkItem(key: Fixture.id(0)), WorkItem(key: PipelineKeys.chunkID(collection: Fixture.collection, document: 9, ordinal: 0))]

    @Test("embed: a gone chunk is done, gets no vector and hands nothing to index")
    func embedSkipsGoneChunks() async throws {
        let directory = TemporaryDirectory("superseded-embed")
        let store = try Fixture.open(directory)
        try Fixture.writeDocument(in: store)
        let phase = EmbedPhase(store: store, embedder: try HashingEmbedder(dimension: 8))
        let outcomes = try await phase.process(Self.items, job: Self.job)
        let outputs = outcomes.compactMap { if case .done(let output) = $0 { output } else { nil } }
        try #require(outputs.count == 2, "both items done: \(outcomes)")
        #expect(!outputs[0].isSuperseded && outputs[1].isSuperseded)
        let handedOn = try store.jobs.write { batch in
            try phase.commitGroup(Array(zip(outputs, Self.items)).map { (output: $0.0, item: $0.1) }, job: Self.job, into: batch)
        }
        #expect(handedOn.map { $0.map(\.key) } == [[Fixture.id(0)], []])
        let vectors = try store.jobs.read { txn in
            (try txn.get(store.vectors, Self.items[0].key) != nil, try txn.get(store.vectors, Self.items[1].key) != nil)
        }
        #expect(vectors == (true, false))
    }

    @Test("index: a gone chunk is done with no terms, and nothing is marked or counted")
    func indexSkipsGoneChunks() async throws {
        let directory = TemporaryDirectory("superseded-index")
        let store = try Fixture.open(directory)
        try Fixture.writeDocument(in: store)
        let phase = IndexPhase(store: store)
        let outcomes = try await phase.process(Self.items, job: Self.job)
        let outputs = outcomes.compactMap { if case .done(let output) = $0 { output } else { nil } }
        try #require(outputs.count == 2, "both items done: \(outcomes)")
        #expect(outputs[1].count == 0)
        _ = try store.jobs.write { batch in
            try phase.commitGroup(Array(zip(outputs, Self.items)).map { (output: $0.0, item: $0.1) }, job: Self.job, into: batch)
        }
        #expect(try Fixture.marks(store) == [Fixture.id(0): Fixture.tokens(0)])
        #expect(try Fixture.statistics(store).chunks == 1)

        // The segment written is the present chunk's alone, as a group of that chunk alone
        // writes it — and the same when the gone chunk's output has terms (a chunk removed
        // between its worker reading it and the commit).
        let alone = TemporaryDirectory("superseded-index-alone")
        let aloneStore = try Fixture.open(alone)
        try Fixture.writeDocument(in: aloneStore)
        _ = try aloneStore.jobs.write { batch in
            try phase.commitGroup([(output: outputs[0], item: Self.items[0])], job: Self.job, into: batch)
        }
        let withTerms = TemporaryDirectory("superseded-index-terms")
        let withTermsStore = try Fixture.open(withTerms)
        try Fixture.writeDocument(in: withTermsStore)
        let goneWithTerms = [outputs[0], ChunkTerms(text: "terms of a chunk that is gone by the commit")]
        _ = try withTermsStore.jobs.write { batch in
            try IndexPhase(store: withTermsStore).commitGroup(
                Array(zip(goneWithTerms, Self.items)).map { (output: $0.0, item: $0.1) }, job: Self.job, into: batch
            )
        }
        let expected = try Self.postings(aloneStore)
        #expect(!expected.isEmpty)
        #expect(try Self.postings(store) == expected)
        #expect(try Self.postings(withTermsStore) == expected)
    }

    /// Every entry of the postings database.
    static func postings(_ store: PipelineStore) throws -> [[UInt8]] {
        try store.jobs.read { txn in
            var entries: [[UInt8]] = []
            try txn.scan(store.postings) { key, value in
                entries.append(Array(key) + [0xFF] + Array(value))
                return true
            }
            return entries
        }
    }

    @Test("chunk: a file whose new content a later load recorded is done with no chunks; one nobody loaded fails", arguments: [true, false])
    func chunkSkipsContentLoadedSince(_ loadedSince: Bool) async throws {
        let directory = TemporaryDirectory("superseded-chunk")
        let store = try Fixture.open(directory)
        let root = directory.appending("source")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let path = root + "/notes.md"
        try Data("the text as it is now\n".utf8).write(to: URL(fileURLWithPath: path))
        let now = SHA256.hexDigest(Array("the text as it is now\n".utf8))
        // The queued item names the content load hashed back then; the document record
        // holds either the content a later job loaded, or still that old one.
        var document = Fixture.document
        document.contentHash = loadedSince ? now : "old"
        try store.jobs.environment.write { txn in try txn.put(store.documents, Fixture.documentKey, document.encoded()) }
        let item = WorkItem(key: Array("notes.md".utf8), payload: ChunkItem(absolutePath: path, contentHash: "old").encoded)
        let phase = ChunkPhase(store: store, settings: PipelineSettings(), chunker: try Chunker())
        let outcomes = try await phase.process([item], job: Self.job)
        switch outcomes.first {
        case .done(let output)?:
            #expect(loadedSince, "a change nobody loaded must fail the item")
            #expect(output.chunks.isEmpty)
            let handedOn = try store.jobs.write { batch in try phase.commit(output, for: item, job: Self.job, into: batch) }
            #expect(handedOn.isEmpty)
            #expect(try store.jobs.read { txn in try txn.get(store.documents, Fixture.documentKey) } == document.encoded())
        case .failed(let reason)?:
            #expect(!loadedSince, "superseded, yet failed: \(reason)")
            #expect(reason.contains("the file changed while it was being ingested"))
        case nil:
            Issue.record("no outcome")
        }
    }
}
