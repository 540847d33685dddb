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
    ///
    /// Counted in a ``TermTable``: a token is hashed in the tokenizer's buffer and its bytes
    /// are copied only when it is new. No allocation per token: with a dictionary keyed by
    /// byte arrays, every token was an array, and the workers contended for the allocator.
    init(text: some StringProtocol) {
        // Sized from the text up front: its terms' bytes never exceed it, and prose has about
        // one distinct term per eight bytes, so a chunk's arrays are allocated about once
        // rather than doubled five or six times each.
        let byteCount = text.utf8.count
        var table = TermTable(expectedTerms: byteCount / 8)
        table.reserveCapacity(terms: byteCount / 8, bytes: byteCount)
        frequencies.reserveCapacity(byteCount / 8)
        Tokenizer.forEachToken(in: text) { token in
            tokenCount += 1
            let (index, inserted) = table.find(token, hash: Self.hash(UnsafeRawBufferPointer(token)))
            if inserted { frequencies.append(1) } else { frequencies[index] += 1 }
        }
        bytes = table.bytes
        ends = table.ends
        hashes = table.hashes
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
        term.withUnsafeBytes { hash($0) }
    }

    static func hash(_ term: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: term)
        return hasher.finalize()
    }
}
