#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

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
    /// Counted in an open-addressing table over the flat arrays: a token is hashed in the
    /// tokenizer's buffer and compared with the terms in place, and its bytes are copied
    /// only when it is new. No allocation per token: with a dictionary keyed by byte arrays,
    /// every token was an array, and the workers' allocations contended for the allocator.
    init(text: some StringProtocol) {
        var slots = [Int32](repeating: -1, count: 64)
        Tokenizer.forEachToken(in: text) { token in
            tokenCount += 1
            let hash = Self.hash(UnsafeRawBufferPointer(token))
            var slot = hash & (slots.count - 1)
            while true {
                let index = Int(slots[slot])
                if index < 0 {
                    slots[slot] = Int32(ends.count)
                    bytes.append(contentsOf: token)
                    ends.append(UInt32(bytes.count))
                    hashes.append(hash)
                    frequencies.append(1)
                    break
                }
                if hashes[index] == hash, Self.equal(bytes, range(of: index), token) {
                    frequencies[index] += 1
                    break
                }
                slot = (slot + 1) & (slots.count - 1)
            }
            // At most half full, so probes stay short.
            if ends.count * 2 > slots.count { slots = Self.slots(for: hashes, count: slots.count * 2) }
        }
    }

    private static func equal(_ bytes: [UInt8], _ range: Range<Int>, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        guard range.count == token.count else { return false }
        return bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress, let other = token.baseAddress else { return true }
            return memcmp(base + range.lowerBound, other, range.count) == 0
        }
    }

    /// A table of `count` slots (a power of two) holding each term's index at its hash.
    private static func slots(for hashes: [Int], count: Int) -> [Int32] {
        var slots = [Int32](repeating: -1, count: count)
        for (index, hash) in hashes.enumerated() {
            var slot = hash & (count - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (count - 1) }
            slots[slot] = Int32(index)
        }
        return slots
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
