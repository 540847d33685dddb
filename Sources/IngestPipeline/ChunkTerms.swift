/// A chunk's distinct terms and how often each occurs, packed flat, each with its hash.
///
/// The index phase's workers build this, in parallel, so that the one writer thread only
/// groups the terms of a commit (see ``GroupPostings``): it neither tokenises nor hashes.
struct ChunkTerms: Sendable {
    /// The terms' bytes, one after another.
    private(set) var bytes: [UInt8] = []
    /// Where each term ends in `bytes` (it starts where the one before ends).
    private(set) var ends: [UInt32] = []
    /// Each term's hash: Swift's `Hasher` over its bytes, so seeded per process and not
    /// floodable by a document crafted to collide.
    private(set) var hashes: [Int] = []
    /// How often each term occurs in the chunk.
    private(set) var frequencies: [UInt32] = []
    /// How many tokens the chunk has.
    private(set) var tokenCount: UInt32 = 0

    /// The terms of `text`, as ``Tokenizer`` cuts them.
    init(text: some StringProtocol) {
        var counts: [HashedBytes: UInt32] = [:]
        Tokenizer.forEachToken(in: text) { token in
            counts[HashedBytes(token), default: 0] += 1
            tokenCount += 1
        }
        bytes.reserveCapacity(counts.keys.reduce(0) { $0 + $1.bytes.count })
        ends.reserveCapacity(counts.count)
        hashes.reserveCapacity(counts.count)
        frequencies.reserveCapacity(counts.count)
        for (term, frequency) in counts {
            bytes.append(contentsOf: term.bytes)
            ends.append(UInt32(bytes.count))
            hashes.append(Self.hash(term.bytes))
            frequencies.append(frequency)
        }
    }

    /// Terms already counted, hashed with `hash` (tests pass a colliding one).
    init(counted: [(term: [UInt8], frequency: UInt32)], hash: ([UInt8]) -> Int = ChunkTerms.hash) {
        for (term, frequency) in counted {
            bytes.append(contentsOf: term)
            ends.append(UInt32(bytes.count))
            hashes.append(hash(term))
            frequencies.append(frequency)
            tokenCount += frequency
        }
    }

    /// How many distinct terms.
    var count: Int { ends.count }

    /// Where term `index` lies in `bytes`.
    func range(of index: Int) -> Range<Int> {
        (index == 0 ? 0 : Int(ends[index - 1]))..<Int(ends[index])
    }

    static func hash(_ term: [UInt8]) -> Int {
        var hasher = Hasher()
        term.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
