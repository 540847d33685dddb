internal import LMDBKit

/// Whether chunks still exist, each looked up once per merge.
///
/// A merge asks once per posting, so this is an open-addressing table over flat arrays with
/// a multiplicative hash: a dictionary's seeded hashing was most of a merge's time.
struct ChunkLiveness {
    private var chunks: [PostingList.ChunkID]
    /// Per slot: 0 empty, 1 the chunk exists, 2 it is gone.
    private var states: [UInt8]
    private var count = 0

    init() {
        chunks = Array(repeating: PostingList.ChunkID(), count: 1024)
        states = Array(repeating: 0, count: 1024)
    }

    mutating func exists(_ chunk: PostingList.ChunkID, in txn: ReadTransaction, store: PipelineStore) throws -> Bool {
        var slot = Self.slot(of: chunk, mask: states.count - 1)
        while states[slot] != 0 {
            if chunks[slot] == chunk { return states[slot] == 1 }
            slot = (slot + 1) & (states.count - 1)
        }
        let answer = try chunk.withBytes { key in try txn.withValue(in: store.chunks, forKey: key) { $0 != nil } }
        chunks[slot] = chunk
        states[slot] = answer ? 1 : 2
        count += 1
        if count * 2 > states.count { grow() }
        return answer
    }

    private static func slot(of chunk: PostingList.ChunkID, mask: Int) -> Int {
        // Fibonacci hashing: the high bits of the product mix every bit of the id.
        Int(truncatingIfNeeded: ((chunk.high ^ chunk.low) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func grow() {
        let oldChunks = chunks, oldStates = states
        chunks = Array(repeating: PostingList.ChunkID(), count: oldStates.count * 2)
        states = Array(repeating: 0, count: oldStates.count * 2)
        let mask = states.count - 1
        for index in oldStates.indices where oldStates[index] != 0 {
            var slot = Self.slot(of: oldChunks[index], mask: mask)
            while states[slot] != 0 { slot = (slot + 1) & mask }
            chunks[slot] = oldChunks[index]
            states[slot] = oldStates[index]
        }
    }
}
