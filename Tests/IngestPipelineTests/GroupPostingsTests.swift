import IngestTestSupport
import Testing
@testable import IngestPipeline

/// `GroupPostings` (the writer thread's grouping of a commit's postings) against the plain
/// model it replaced: a dictionary from term to a packed list, written in term byte order.
struct GroupPostingsTests {
    /// Terms that stress the order and the table: prefixes of one another, bytes above 0x7F,
    /// a single byte, long ones.
    static func vocabulary(_ random: inout SeededGenerator) -> [[UInt8]] {
        var terms: [[UInt8]] = [[0x61], [0x61, 0x62], [0x61, 0x62, 0x63], [0xC3, 0xA9], [0xFF], Array(repeating: 0x7A, count: 60)]
        while terms.count < 3000 {
            terms.append((0..<Int.random(in: 1...12, using: &random)).map { _ in UInt8.random(in: 0x30...0xFF, using: &random) })
        }
        return terms
    }

    static func chunkID(_ number: Int) -> [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: number >> (8 * (15 - $0))) }
    }

    /// What `forEachTermInOrder` must give: every term once, in byte order, with its postings
    /// sorted by chunk id (a chunk added twice: its later posting).
    static func model(_ chunks: [(id: [UInt8], terms: [([UInt8], UInt32)])]) -> [([UInt8], [UInt8])] {
        var lists: [[UInt8]: [PostingsSegments.Posting]] = [:]
        for chunk in chunks {
            for (term, frequency) in chunk.terms { lists[term, default: []].append(PostingsSegments.Posting(chunk: chunk.id, frequency: frequency)) }
        }
        return lists.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0, PostingsSegments.encode(lists[$0] ?? [])) }
    }

    static func grouped(_ chunks: [(id: [UInt8], terms: [([UInt8], UInt32)])], hash: @escaping ([UInt8]) -> Int) -> [([UInt8], [UInt8])] {
        var postings = GroupPostings(expectedTerms: 4)  // small, so the table grows many times
        for chunk in chunks {
            postings.add(chunk: PostingList.ChunkID(chunk.id) ?? PostingList.ChunkID(), terms: ChunkTerms(counted: chunk.terms.map { (term: $0.0, frequency: $0.1) }, hash: hash))
        }
        var out: [([UInt8], [UInt8])] = []
        postings.forEachTermInOrder { term, list in out.append((Array(term), list)) }
        return out
    }

    static func randomGroup(seed: UInt64) -> [(id: [UInt8], terms: [([UInt8], UInt32)])] {
        var random = SeededGenerator(seed: seed)
        let vocabulary = vocabulary(&random)
        // Chunks out of id order, as a group's chunks can be.
        return (0..<120).shuffled(using: &random).map { number in
            let terms = Set((0..<Int.random(in: 0...80, using: &random)).map { _ in Int.random(in: 0..<vocabulary.count, using: &random) })
            return (chunkID(number), terms.map { (vocabulary[$0], UInt32.random(in: 1...40, using: &random)) })
        }
    }

    @Test("random groups: the same terms, order and posting lists as the dictionary model", arguments: [1, 2, 3] as [UInt64])
    func matchesTheModel(seed: UInt64) {
        let chunks = Self.randomGroup(seed: seed)
        let got = Self.grouped(chunks, hash: ChunkTerms.hash)
        let want = Self.model(chunks)
        #expect(got.count == want.count)
        #expect(got.map(\.0) == want.map(\.0), "term order")
        #expect(got.map(\.1) == want.map(\.1), "posting lists")
    }

    @Test("every term hashing alike: probing and the byte comparison keep terms apart")
    func collidingHashes() {
        let chunks = Array(Self.randomGroup(seed: 9).prefix(20))
        let got = Self.grouped(chunks, hash: { _ in 42 })
        let want = Self.model(chunks)
        #expect(got.map(\.0) == want.map(\.0))
        #expect(got.map(\.1) == want.map(\.1))
    }

    @Test("chunks already in id order, and a chunk added twice: listed once, with its later frequency", arguments: [false, true])
    func orderedAndRepeated(repeatChunk: Bool) {
        var chunks: [(id: [UInt8], terms: [([UInt8], UInt32)])] = (0..<50).map { number in
            (id: Self.chunkID(number), terms: [(Array("a".utf8), UInt32(number + 1)), (Array("b\(number % 3)".utf8), UInt32(2))])
        }
        if repeatChunk { chunks.append((id: Self.chunkID(7), terms: [(Array("a".utf8), 99)])) }
        let got = Self.grouped(chunks, hash: ChunkTerms.hash)
        #expect(got.map(\.0) == Self.model(chunks).map(\.0))
        #expect(got.map(\.1) == Self.model(chunks).map(\.1))
        let listA = got.first { $0.0 == Array("a".utf8) }.map { PostingsSegments.decode($0.1, format: .prefixed) } ?? []
        #expect(listA.count == 50)
        #expect(listA.first { $0.chunk == Self.chunkID(7) }?.frequency == (repeatChunk ? 99 : 8))
    }

    /// A text with hundreds of distinct terms (the table grows several times), repeats,
    /// mixed case and non-ASCII letters.
    static let manyTerms: String = {
        var generator = SeededGenerator(seed: 11)
        return (0..<3000).map { _ in
            let word = "w\(generator.next() % 700)"
            switch generator.next() % 4 {
            case 0: return word.uppercased()
            case 1: return word + "é"
            default: return word
            }
        }.joined(separator: " ")
    }()

    @Test("ChunkTerms counts a text's tokens as the tokenizer cuts them", arguments: ["the cat and the hat; THE end", manyTerms])
    func chunkTermsCount(text: String) {
        let terms = ChunkTerms(text: text)
        var counted: [String: UInt32] = [:]
        for index in 0..<terms.count {
            let term = Array(terms.bytes[terms.range(of: index)])
            #expect(terms.hashes[index] == ChunkTerms.hash(term))
            #expect(counted.updateValue(terms.frequencies[index], forKey: String(decoding: term, as: UTF8.self)) == nil, "a term listed twice")
        }
        var expected: [String: UInt32] = [:]
        var tokens: UInt32 = 0
        Tokenizer.forEachToken(in: text) { token in
            expected[String(decoding: token, as: UTF8.self), default: 0] += 1
            tokens += 1
        }
        #expect(counted == expected)
        #expect(terms.tokenCount == tokens)
        #expect(expected.count > 3, "control: the text has several distinct terms")
    }
}
