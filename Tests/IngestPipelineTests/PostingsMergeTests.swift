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

    /// What `ingest verify` finds in the index (these tests' chunk records are stand-ins).
    static func indexProblems(_ store: PipelineStore) throws -> [Inconsistency] {
        try PipelineVerifier.verify(store).filter { $0.database == "postings" || $0.database == "index_stats" }
    }

    /// `postings` in the `.fixed` layout of schema version 1, as an older build wrote them.
    static func fixed(_ postings: [(Int, UInt32)]) -> [UInt8] {
        postings.flatMap { chunk($0.0) + withUnsafeBytes(of: $0.1.bigEndian) { Array($0) } }
    }

    static func merged(_ lists: [(bytes: [UInt8], format: PostingFormat)], keeping exists: (Int) -> Bool = { _ in true }) -> [UInt8] {
        var writer = PostingList.Writer()
        PostingList.merge(lists, into: &writer) { id in
            let number = (0..<100_000).first { PostingList.ChunkID(Self.chunk($0)) == id }
            return number.map(exists) ?? false
        }
        return writer.bytes
    }

    @Test("two lists: in order, interleaved, and the newer posting of a shared chunk wins")
    func mergeTwo() {
        #expect(Self.merged([(Self.packed([(1, 1), (2, 1)]), .prefixed), (Self.packed([(3, 5)]), .prefixed)]) == Self.packed([(1, 1), (2, 1), (3, 5)]))
        #expect(Self.merged([(Self.packed([(1, 1), (4, 1)]), .prefixed), (Self.packed([(2, 7), (4, 9), (5, 2)]), .prefixed)])
            == Self.packed([(1, 1), (2, 7), (4, 9), (5, 2)]))
        #expect(Self.merged([([], .fixed), (Self.packed([(3, 5)]), .prefixed)]) == Self.packed([(3, 5)]))
        #expect(Self.merged([(Self.fixed([(3, 5)]) + [1, 2, 3], .fixed)]) == Self.packed([(3, 5)]), "a partial posting is dropped")
    }

    @Test("a version 1 list and a prefixed one merge into one prefixed list")
    func mergeAcrossFormats() {
        let older = Self.fixed([(1, 1), (2, 4), (1005, 2)])
        let newer = Self.packed([(2, 9), (3, 1)])
        #expect(Self.merged([(older, .fixed), (newer, .prefixed)]) == Self.packed([(1, 1), (2, 9), (3, 1), (1005, 2)]))
        #expect(PostingsSegments.decode(older, format: .fixed) == PostingsSegments.decode(Self.packed([(1, 1), (2, 4), (1005, 2)]), format: .prefixed))
    }

    @Test("encode sorts by chunk and lists a chunk once, with its later posting")
    func encodeSorts() {
        let list = [(3, UInt32(1)), (1, 2), (2, 3), (1, 8)].map { PostingsSegments.Posting(chunk: Self.chunk($0.0), frequency: $0.1) }
        let decoded = PostingsSegments.decode(PostingsSegments.encode(list), format: .prefixed)
        #expect(decoded.map(\.chunk) == [Self.chunk(1), Self.chunk(2), Self.chunk(3)])
        #expect(decoded.map(\.frequency) == [8, 3, 1])
    }

    @Test("prefixed lists: any ids and frequencies round-trip; a document's next chunk costs 3 bytes")
    func prefixedRoundTrip() {
        var random = SeededGenerator(seed: 9)
        for _ in 0..<200 {
            // Ids that share anything from no byte to fifteen with their neighbours.
            var ids = Set<[UInt8]>()
            let base = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
            for _ in 0..<Int.random(in: 1...40, using: &random) {
                var id = base
                for index in Int.random(in: 0...15, using: &random)..<16 { id[index] = UInt8.random(in: 0...255, using: &random) }
                ids.insert(id)
            }
            let postings = ids.sorted { $0.lexicographicallyPrecedes($1) }.map {
                PostingsSegments.Posting(chunk: $0, frequency: [1, 127, 128, 16_384, .max].randomElement(using: &random) ?? 1)
            }
            #expect(PostingsSegments.decode(PostingsSegments.encode(postings), format: .prefixed) == postings)
        }
        let document = (0..<100).map { PostingsSegments.Posting(chunk: Self.chunk(7000 + $0), frequency: 3) }
        // The version byte, the first posting in full (1 + 16 + 1), then 3 bytes each.
        #expect(PostingsSegments.encode(document).count == 1 + 18 + 99 * 3)
        #expect(Self.fixed(document.indices.map { (7000 + $0, 3) }).count == 100 * 20)
    }

    @Test("many lists: newest wins, and only chunks that exist stay")
    func mergeMany() {
        let lists: [(bytes: [UInt8], format: PostingFormat)] = [
            (Self.packed([(1, 1), (2, 1), (3, 1)]), .prefixed), (Self.fixed([(2, 2), (6, 2)]), .fixed), (Self.packed([(2, 3), (4, 3)]), .prefixed),
        ]
        #expect(Self.merged(lists) { $0 != 3 } == Self.packed([(1, 1), (2, 3), (4, 3), (6, 2)]))
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

    @Test("segments of a version 1 store are read and verified as they are, and repacked when merged")
    func versionOneSegments() throws {
        let directory = TemporaryDirectory("postings-v1")
        let store = try PipelineStore(try JobStore.open(at: directory.appending("store"), options: EnvironmentOptions(durability: .noSync)))
        var model: [Int: [Int: UInt32]] = [:]
        let terms = 5
        // Three small segments as a version 1 build wrote them: `.fixed` lists, registry
        // entries without a format byte.
        try store.jobs.environment.write { txn in
            for number in 0..<60 { try txn.put(store.chunks, Self.chunk(number), [1]) }
            for segment in 0..<3 {
                var bytes: UInt64 = 0
                for term in 0..<terms {
                    let chunks = (0..<4).map { segment * 10 + term + $0 }
                    let list = Self.fixed(chunks.map { ($0, UInt32(segment + 1)) })
                    let key = PostingsSegments.key(UInt32(segment), Array("t\(term)".utf8))
                    try txn.put(store.postings, key, list)
                    bytes += UInt64(key.count + list.count)
                    for number in chunks { model[term, default: [:]][number] = UInt32(segment + 1) }
                }
                try PostingsSegments.register(.init(number: UInt32(segment), job: "old", bytes: bytes, format: .fixed), in: txn, store: store)
            }
            try txn.put(store.stats, Array("segments:next".utf8), BigEndian.bytes(UInt64(3)))
        }
        let registry = { (segment: UInt8) in
            try store.jobs.environment.read { txn in try txn.get(store.stats, Array("segment:".utf8) + [0, 0, 0, segment]) }
        }
        #expect(try registry(0)?.count == "old".utf8.count + 9, "a version 1 entry: no format byte")
        let before = try store.jobs.environment.read { try PostingsSegments.segments(in: $0, store: store) }
        #expect(before.map(\.format) == [.fixed, .fixed, .fixed])
        try expectQueriesMatch(model, existing: Set(0..<60), vocabulary: terms, store: store)
        #expect(try Self.indexProblems(store).isEmpty)

        // A fourth segment, written now, fills the lowest tier: the four merge into one.
        var postings = GroupPostings()
        for number in 40..<44 {
            let counted = (0..<terms).map { (term: Array("t\($0)".utf8), frequency: UInt32(9)) }
            postings.add(chunk: try #require(PostingList.ChunkID(Self.chunk(number))), terms: ChunkTerms(counted: counted))
            for term in 0..<terms { model[term, default: [:]][number] = 9 }
        }
        try store.jobs.environment.write { txn in try PostingsSegments.write(postings, job: "new", in: txn, store: store) }
        let after = try store.jobs.environment.read { try PostingsSegments.segments(in: $0, store: store) }
        #expect(after.map(\.number) == [3])
        #expect(after.map(\.format) == [.prefixed])
        #expect(try registry(3)?.last == PostingFormat.prefixed.rawValue)
        try expectQueriesMatch(model, existing: Set(0..<60), vocabulary: terms, store: store)
        #expect(try Self.indexProblems(store).isEmpty)
        try expectSizesExact(after, store: store)
    }

    @Test("verify reports a list cut short and a registry entry with an unknown format")
    func verifyChecksLists() throws {
        let directory = TemporaryDirectory("postings-verify-lists")
        let store = try PipelineStore(try JobStore.open(at: directory.appending("store")))
        var postings = GroupPostings()
        try store.jobs.environment.write { txn in
            for number in 0..<3 {
                try txn.put(store.chunks, Self.chunk(number), [1])
                postings.add(chunk: try #require(PostingList.ChunkID(Self.chunk(number))), terms: ChunkTerms(counted: [(Array("t".utf8), UInt32(300))]))
            }
            try PostingsSegments.write(postings, job: "job", in: txn, store: store)
        }
        #expect(try Self.indexProblems(store).isEmpty)
        let key = PostingsSegments.key(0, Array("t".utf8))
        try store.jobs.environment.write { txn in
            let list = try #require(try txn.get(store.postings, key))
            try txn.put(store.postings, key, Array(list.dropLast()))  // the last frequency loses its final byte
        }
        let cut = try Self.indexProblems(store).filter { $0.database == "postings" }
        #expect(cut.count == 1 && cut.first?.problem.contains("not a whole list") == true, "\(cut)")

        try store.jobs.environment.write { txn in
            let entry = try #require(try txn.get(store.stats, Array("segment:".utf8) + [0, 0, 0, 0]))
            try txn.put(store.stats, Array("segment:".utf8) + [0, 0, 0, 0], entry.dropLast() + [0x7F])
        }
        let unknown = try Self.indexProblems(store).filter { $0.database == "postings" }
        #expect(unknown.count == 1 && unknown.first?.problem.contains("does not know") == true, "\(unknown)")
        let segments = try store.jobs.environment.read { try PostingsSegments.segments(in: $0, store: store) }
        #expect(segments.map(\.format) == [nil])
        #expect(PostingsMerge.tier(of: segments[0]) == nil, "a segment of an unknown format is never merged")
        let found = try store.jobs.environment.read { try PostingsSegments.postings(of: Array("t".utf8), segments: segments, in: $0, store: store) }
        #expect(found.isEmpty, "a segment of an unknown format is not read")
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
                postings.add(chunk: try #require(PostingList.ChunkID(Self.chunk(number))), terms: ChunkTerms(counted: terms))
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
        #expect(tiers.contains(1) || tiers.contains(nil), "merges reached a higher tier: \(tiers)")
    }

    @Test("verify finds a segment whose recorded size is not what it holds")
    func verifyChecksSegmentSizes() throws {
        let directory = TemporaryDirectory("postings-verify")
        let store = try PipelineStore(try JobStore.open(at: directory.appending("store")))
        try store.jobs.environment.write { txn in
            var postings = GroupPostings()
            for number in 0..<3 {
                try txn.put(store.chunks, Self.chunk(number), [1])
                postings.add(chunk: try #require(PostingList.ChunkID(Self.chunk(number))), terms: ChunkTerms(counted: [(Array("t".utf8), UInt32(number + 1))]))
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
