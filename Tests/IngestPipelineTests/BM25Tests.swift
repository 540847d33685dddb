import Foundation
import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestPipeline

/// BM25 as the search engine computes it — postings read from many segments, lengths from
/// the index marks, removed chunks skipped — must give the scores of the formula applied to
/// the live chunks' texts directly.
@Suite("BM25 scores against the formula")
struct BM25Tests {
    static let source = "/srv/bm25"
    static let collection = PipelineKeys.collection(source)
    static let vocabulary = ["ember", "fjord", "gale", "harbor", "inlet", "jetty", "kelp", "lagoon", "mist", "north",
                             "oar", "pier", "quay", "reef", "sail", "tide"]

    struct Chunk {
        let document: UInt32
        let ordinal: Int
        let text: String
        var id: [UInt8] { PipelineKeys.chunkID(collection: BM25Tests.collection, document: document, ordinal: ordinal) }
    }

    /// Two documents of seeded word salad; lower words of the vocabulary are more common, so
    /// that some terms are in most chunks and some in few.
    static func chunks(seed: UInt64) -> [Chunk] {
        var generator = SeededGenerator(seed: seed)
        return (1...2).flatMap { document in
            (0..<80).map { ordinal in
                let words = (0..<Int.random(in: 3...40, using: &generator)).map { _ in
                    vocabulary[min(Int.random(in: 0..<vocabulary.count, using: &generator), Int.random(in: 0..<vocabulary.count, using: &generator))]
                }
                return Chunk(document: UInt32(document), ordinal: ordinal, text: words.joined(separator: " "))
            }
        }
    }

    static func documentKey(_ document: UInt32) -> [UInt8] { PipelineKeys.document(collection, "doc\(document).md") }

    static func documentRecord(_ document: UInt32, chunks: Int) -> DocumentRecord {
        DocumentRecord(contentHash: "h\(document)", size: 1, chunkCount: UInt32(chunks), lastSeenBy: "bm25", settingsFingerprint: "f", sequence: document)
    }

    /// Writes the chunks, indexes them in groups of 13 (each group commit a segment, merged
    /// in tiers as they pile up), indexes the first 26 again, as a redo would, and removes
    /// document 2 after it was indexed.
    static func store(_ chunks: [Chunk], in directory: TemporaryDirectory) throws -> PipelineStore {
        let store = try PipelineStore(try JobStore.open(at: directory.appending("store"), options: EnvironmentOptions(durability: .noSync)))
        try store.jobs.environment.write { txn in
            try txn.put(store.stats, IndexStatistics.collectionKey(collection), Array(source.utf8))
            for document: UInt32 in [1, 2] {
                let mine = chunks.filter { $0.document == document }
                try txn.put(store.documents, documentKey(document), documentRecord(document, chunks: mine.count).encoded())
                for chunk in mine {
                    let record = ChunkRecord(collection: collection, relativePath: "doc\(document).md", ordinal: UInt32(chunk.ordinal), text: chunk.text)
                    try txn.put(store.chunks, chunk.id, record.encoded())
                }
            }
        }
        let job = JobContext(id: try JobID(validating: "bm25"), source: source, plan: Pipeline.plan, settings: [])
        let groups = stride(from: 0, to: chunks.count, by: 13).map { Array(chunks[$0..<min($0 + 13, chunks.count)]) } + [Array(chunks.prefix(26))]
        for group in groups {
            let done = group.map { (output: ChunkTerms(text: $0.text), item: WorkItem(key: $0.id)) }
            _ = try store.jobs.write { batch in try IndexPhase(store: store).commitGroup(done, job: job, into: batch) }
        }
        try store.jobs.environment.write { txn in
            try DocumentRemoval.removeChunks(of: documentRecord(2, chunks: 80), key: documentKey(2), in: txn, store: store)
            try txn.delete(store.documents, documentKey(2))
        }
        return store
    }

    /// The formula over `live`, best first, ties by chunk id: (document, ordinal, score).
    static func expected(_ query: String, live: [Chunk], k: Int) -> [(UInt32, Int, Double)] {
        let k1 = 1.2, b = 0.75
        let tokens = live.map { Tokenizer.tokens(in: $0.text) }
        let averageLength = Double(tokens.reduce(0) { $0 + $1.count }) / Double(live.count)
        var scores = [Double?](repeating: nil, count: live.count)
        for term in Set(Tokenizer.tokens(in: query)).sorted() {
            let df = Double(tokens.filter { $0.contains(term) }.count)
            guard df > 0 else { continue }
            let idf = log(1 + (Double(live.count) - df + 0.5) / (df + 0.5))
            for (index, words) in tokens.enumerated() {
                let frequency = Double(words.filter { $0 == term }.count)
                guard frequency > 0 else { continue }
                let norm = frequency + k1 * (1 - b + b * Double(words.count) / max(averageLength, 1))
                scores[index] = (scores[index] ?? 0) + idf * frequency * (k1 + 1) / norm
            }
        }
        let ranked = live.indices.compactMap { index in scores[index].map { (live[index], $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.id.lexicographicallyPrecedes($1.0.id) }
        return ranked.prefix(k).map { ($0.0.document, $0.0.ordinal, $0.1) }
    }

    @Test("search's BM25 equals the formula over the live chunks: many segments, a redo, a removed document", arguments: [UInt64(1), 2, 3])
    func matchesFormula(seed: UInt64) async throws {
        let chunks = Self.chunks(seed: seed)
        let store = try Self.store(chunks, in: TemporaryDirectory("bm25-\(seed)"))
        let segments = try store.jobs.read { txn in try PostingsSegments.segments(in: txn, store: store) }
        #expect(segments.count > 1, "the postings should lie in several segments")
        let live = chunks.filter { $0.document == 1 }
        for query in ["ember", "tide", "ember fjord gale", "pier quay reef sail tide", "north north oar", "absent", "ember absent"] {
            for k in [1, 10, 200] {
                let hits = try await SearchEngine(store).search(query, k: k, mode: .bm25)
                let expected = Self.expected(query, live: live, k: k)
                #expect(hits.map(\.document) == expected.map { "doc\($0.0).md" }, "\(query) k \(k)")
                #expect(hits.map(\.ordinal) == expected.map(\.1), "\(query) k \(k)")
                for (hit, want) in zip(hits, expected) {
                    #expect(abs(hit.score - want.2) <= 1e-9 * max(1, abs(want.2)), "\(query): \(hit.score) vs \(want.2)")
                }
            }
        }
    }
}
