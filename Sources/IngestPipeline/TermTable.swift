#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Distinct terms packed flat, each with its hash, found again by an open-addressing table.
///
/// Both the index workers (a chunk's terms, ``ChunkTerms``) and the writer thread (a group's
/// terms, ``GroupPostings``) gather terms by the million: a term is looked up by its hash
/// and compared in place, and its bytes are copied only when it is new — no array and no
/// hashing of bytes per lookup, no reference counting per term.
struct TermTable {
    /// The terms' bytes, one after another.
    private(set) var bytes: [UInt8] = []
    /// Where each term ends in `bytes` (it starts where the one before ends).
    private(set) var ends: [UInt32] = []
    /// Each term's hash, as the caller gave it.
    private(set) var hashes: [Int] = []
    /// A term's index, or -1. Its size is a power of two, at most half full.
    private var slots: [Int32]

    /// A table sized for about `expectedTerms` terms before it first grows.
    init(expectedTerms: Int = 32) {
        var capacity = 64
        while capacity < expectedTerms * 2 { capacity <<= 1 }
        slots = Array(repeating: -1, count: capacity)
    }

    /// Makes room for `terms` distinct terms of `bytes` bytes in all, so that a table filled
    /// from one chunk allocates once instead of doubling its arrays as they fill.
    mutating func reserveCapacity(terms: Int, bytes byteCount: Int) {
        bytes.reserveCapacity(byteCount)
        ends.reserveCapacity(terms)
        hashes.reserveCapacity(terms)
    }

    /// How many distinct terms.
    var count: Int { ends.count }

    /// Where term `index` lies in `bytes`.
    func range(of index: Int) -> Range<Int> {
        (index == 0 ? 0 : Int(ends[index - 1]))..<Int(ends[index])
    }

    /// The index of `term`, added if new; `inserted` says which.
    mutating func find(_ term: UnsafeBufferPointer<UInt8>, hash: Int) -> (index: Int, inserted: Bool) {
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let existing = Int(slots[slot])
            if existing < 0 { break }
            if hashes[existing] == hash && equals(existing, term) { return (existing, false) }
            slot = (slot + 1) & mask
        }
        let index = ends.count
        bytes.append(contentsOf: term)
        ends.append(UInt32(bytes.count))
        hashes.append(hash)
        slots[slot] = Int32(index)
        if ends.count * 2 > slots.count { grow() }
        return (index, true)
    }

    private func equals(_ index: Int, _ term: UnsafeBufferPointer<UInt8>) -> Bool {
        let stored = range(of: index)
        guard stored.count == term.count else { return false }
        return bytes.withUnsafeBufferPointer { all in
            guard let storedBase = all.baseAddress, let termBase = term.baseAddress else { return term.isEmpty }
            return memcmp(storedBase + stored.lowerBound, termBase, term.count) == 0
        }
    }

    /// Doubles the table and re-places every term by its stored hash.
    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for index in hashes.indices {
            var slot = hashes[index] & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}
