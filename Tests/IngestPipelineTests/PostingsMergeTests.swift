import IngestStore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestPipeline

/// Index segments: merged in bounded tiers while a job writes them, with every query answer
/// unchanged — the newest posting of a chunk wins, removed chunks drop out.
@Suite("Index segments and their merges")
struct PostingsMergeTests {
    static let collection = PipelineKeys.collection("/srv/merge")

    static func chunk(_ number: Int) -> [UInt8] {
        PipelineKeys.chunkID(collection: collection, document: UInt32(number / 1000), ordinal: number % 1000)
    }

    static func packed(_ postings: [(Int, UInt32)]) -> [UInt8] {
        PostingsSegments.encode(postings.map { PostingsSegments.Posting(chunk: chunk($0.0), frequency: $0.1) })
    }

    @Test("two lists: in order, interleaved, and the newer posting of a shared chunk wins")
    func mergeTwo() {
        #expect(PostingList.mergeTwo(older: Self.packed([(1, 1), (2, 1)]), newer: Self.packed([(3, 5)])) == Self.packed([(1, 1), (2, 1), (3, 5)]))
        #expect(PostingList.mergeTwo(older: Self.packed([(1, 1), (4, 1)]), newer: Self.packed([(2, 7), (4, 9), (5, 2)]))
            == Self.packed([(1, 1), (2, 7), (4, 9), (5, 2)]))
        #expect(PostingList.mergeTwo(older: [], newer: Self.packed([(3, 5)])) == Self.packed([(3, 5)]))
        #expect(PostingList.mergeTwo(older: Self.packed([(3, 5)]) + [1, 2, 3], newer: []) == Self.packed([(3, 5)]), "a partial posting is dropped")
    }

    @Test("a list out of order is sorted by chunk; one in order comes back as it is")
    func sortedByChunk() {
        #expect(PostingList.sortedByChunk(Self.packed([(3, 1), (1, 2), (2, 3)])) == Self.packed([(1, 2), (2, 3), (3, 1)]))
        #expect(PostingList.sortedByChunk(Self.packed([(1, 2), (2, 3)])) == Self.packed([(1, 2), (2, 3)]))
        #expect(PostingList.sortedByChunk([1, 2, 3]).isEmpty)
    }

    @Test("many lists: newest wins, and only chunks that exist stay")
    func mergeMany() {
        let lists = [Self.packed([(1, 1), (2, 1), (3, 1)]), Self.packed([(2, 2), (6, 2)]), Self.packed([(2, 3), (4, 3)])]
        let gone = Self.chunk(3)
        let merged = PostingList.merge(lists) { !$0.elementsEqual(gone) }
        #expect(merged == Self.packed([(1, 1), (2, 3), (4, 3), (6, 2)]))
    }

    @Test("a segment registered before sizes were recorded is read and never merged")
    func legacyRegistry() throws {
        let directory = TemporaryDirectory("postings-legacy")
        let store = try PipelineStore(try JobStore.open(at: directory.appending("store")))
        try store.jobs.environment.write { txn in
            for number: UInt8 in 0..<6 {
                try txn.put(store.stats, Array("segment:".utf8) + [0, 0, 0, number], Array("old-job".utf8))
            }
            try PostingsMerge.mergeNewest(job: "new-job", in: txn, store: store)
        }
        let segments = try store.jobs.environment.read { try PostingsSegments.segments(in: $0, store: store) }
        #expect(segments.count == 6)
        #expect(segments.allSatisfy { $0.job == "old-job" && $0.bytes == nil })
    }

    @Test("seeded groups: queries equal a model as segments merge, merges stay bounded, sizes are exact")
    func seededGroups() throws {
        let directory = TemporaryDirectory("postings-merge")
        let jobs = try JobStore.open(at: directory.appending("store"), options: EnvironmentOptions(durability: .noSync))
        let store = try PipelineStore(jobs)
        var random = SeededGenerator(seed: 42)
        // term → chunk number → frequency, newest wins; and the chunks that exist.
        var model: [Int: [Int: UInt32]] = [:]
        var existing: Set<Int> = []
        var nextChunk = 0
        var merges = 0
        let vocabulary = 40

        for group in 0..<160 {
            // Mostly new chunks in order; now and then one indexed again or removed.
            var groupChunks: [Int] = []
            for _ in 0..<Int.random(in: 20...60, using: &random) {
                groupChunks.append(nextChunk)
                nextChunk += 1
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                if let again = existing.randomElement(using: &random), !groupChunks.contains(again) { groupChunks.append(again) }
            }
            var postings = GroupPostings()
            for number in groupChunks {
                var terms: [(term: [UInt8], frequency: UInt32)] = []
                for term in (0..<vocabulary).shuffled(using: &random).prefix(Int.random(in: 5...25, using: &random)) {
                    let frequency = UInt32.random(in: 1...9, using: &random)
                    terms.append((Array("t\(term)".utf8), frequency))
                    model[term, default: [:]][number] = frequency
                }
                postings.add(chunk: Self.chunk(number), terms: ChunkTerms(counted: terms))
            }
            let removed = group % 7 == 3 ? existing.randomElement(using: &random) : nil
            let before = try jobs.environment.read { try PostingsSegments.segments(in: $0, store: store).count }
            try jobs.environment.write { txn in
                for number in groupChunks where !existing.contains(number) { try txn.put(store.chunks, Self.chunk(number), [1]) }
                if let removed { try txn.delete(store.chunks, Self.chunk(removed)) }
                try PostingsSegments.write(postings, job: "job", in: txn, store: store)
            }
            existing.formUnion(groupChunks)
            if let removed { existing.remove(removed) }

            let segments = try jobs.environment.read { try PostingsSegments.segments(in: $0, store: store) }
            if segments.count <= before { merges += 1 }
            // The loop's promise: the newest `fanIn` never share a mergeable tier.
            let newest = segments.suffix(PostingsMerge.fanIn)
            #expect(newest.count < PostingsMerge.fanIn || newest.contains { PostingsMerge.tier(of: $0) == nil || PostingsMerge.tier(of: $0) != PostingsMerge.tier(of: newest[newest.startIndex]) })
            for segment in segments {
                let bound = UInt64(PostingsMerge.fanIn) * (PostingsMerge.tierLimits.last ?? 0)
                #expect((segment.bytes ?? .max) < bound, "segment \(segment.number) holds \(segment.bytes ?? 0) bytes")
            }
            if group % 4 == 3 { try expectQueriesMatch(model, existing: existing, vocabulary: vocabulary, store: store) }
            if group % 20 == 19 || group == 159 { try expectSizesExact(segments, store: store) }
        }
        #expect(merges > 10, "the test wrote enough to merge")
        let tiers = try jobs.environment.read { try PostingsSegments.segments(in: $0, store: store) }.map { PostingsMerge.tier(of: $0) }
        #expect(tiers.contains(1) || tiers.contains(2) || tiers.contains(nil), "merges reached a higher tier: \(tiers)")
    }

    @Test("verify finds a segment whose recorded size is not what it holds")
    func verifyChecksSegmentSizes() throws {
        let directory = TemporaryDirectory("postings-verify")
        let store = try PipelineStore(try JobStore.open(at: directory.appending("store")))
        try store.jobs.environment.write { txn in
            var postings = GroupPostings()
            for number in 0..<3 {
                try txn.put(store.chunks, Self.chunk(number), [1])
                postings.add(chunk: Self.chunk(number), terms: ChunkTerms(counted: [(Array("t".utf8), UInt32(number + 1))]))
            }
            try PostingsSegments.write(postings, job: "job", in: txn, store: store)
        }
        let sizeProblems = { try PipelineVerifier.verify(store).filter { $0.problem.contains("records") } }
        #expect(try sizeProblems().isEmpty)

        try store.jobs.environment.write { txn in
            guard var segment = try PostingsSegments.segments(in: txn, store: store).first else { return }
            segment.bytes = (segment.bytes ?? 0) + 1
            try PostingsSegments.register(segment, in: txn, store: store)
        }
        let found = try sizeProblems()
        #expect(found.count == 1 && found.first?.database == "index_stats", "\(found)")
    }

    private func expectQueriesMatch(_ model: [Int: [Int: UInt32]], existing: Set<Int>, vocabulary: Int, store: PipelineStore) throws {
        try store.jobs.environment.read { txn in
            let segments = try PostingsSegments.segments(in: txn, store: store)
            for term in 0..<vocabulary {
                let found = try PostingsSegments.postings(of: Array("t\(term)".utf8), segments: segments, in: txn, store: store)
                var actual: [[UInt8]: UInt32] = [:]
                for posting in found where try txn.contains(store.chunks, posting.chunk) { actual[posting.chunk] = posting.frequency }
                var expected: [[UInt8]: UInt32] = [:]
                for (number, frequency) in model[term] ?? [:] where existing.contains(number) { expected[Self.chunk(number)] = frequency }
                #expect(actual == expected, "term t\(term)")
            }
        }
    }

    private func expectSizesExact(_ segments: [PostingsSegments.Segment], store: PipelineStore) throws {
        try store.jobs.environment.read { txn in
            for segment in segments {
                var bytes: UInt64 = 0
                let prefix = withUnsafeBytes(of: segment.number.bigEndian) { Array($0) }
                try txn.scan(store.postings, prefix: prefix) { key, value in
                    bytes += UInt64(key.count + value.count)
                    return true
                }
                #expect(segment.bytes == bytes, "segment \(segment.number)")
            }
        }
    }
}
