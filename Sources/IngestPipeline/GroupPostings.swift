#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The postings of one group commit, gathered by term on the writer thread.
///
/// This runs inside the group commit, on the one thread that cannot be parallel, so it does
/// as little per posting as it can: terms come hashed from the workers (``ChunkTerms``), a
/// ``TermTable`` finds a term by its hash and bytes, and postings are nodes in flat
/// arrays that name their term — no hashing of bytes, no array per term, no reference
/// counting per posting. (A dictionary of arrays did all three, and was half the writer's
/// time.) The lists are laid out by term once, at the end, by a counting sort: a chain of
/// nodes per term cost a dependent, cache-missing load per posting.
struct GroupPostings {
    /// The group's distinct terms.
    private var terms: TermTable
    /// How many postings each term has.
    private var termPostings: [Int32] = []
    /// Posting nodes, in the order they were added: the chunk (an index into `chunks`), the
    /// frequency, the term.
    private var nodeChunk: [Int32] = []
    private var nodeFrequency: [UInt32] = []
    private var nodeTerm: [Int32] = []
    /// The group's chunk ids, in the order they were added.
    private var chunks: [PostingList.ChunkID] = []

    init(expectedTerms: Int = 1024) {
        terms = TermTable(expectedTerms: expectedTerms)
    }

    /// How many distinct terms.
    var termCount: Int { terms.count }

    var isEmpty: Bool { terms.count == 0 }

    /// Adds a chunk's postings: one per distinct term of `terms`.
    mutating func add(chunk: PostingList.ChunkID, terms chunkTerms: ChunkTerms) {
        let chunkIndex = Int32(chunks.count)
        chunks.append(chunk)
        chunkTerms.bytes.withUnsafeBufferPointer { source in
            for index in 0..<chunkTerms.count {
                let term = UnsafeBufferPointer(rebasing: source[chunkTerms.range(of: index)])
                let (found, inserted) = terms.find(term, hash: chunkTerms.hashes[index])
                if inserted { termPostings.append(0) }
                nodeChunk.append(chunkIndex)
                nodeFrequency.append(chunkTerms.frequencies[index])
                nodeTerm.append(Int32(found))
                termPostings[found] += 1
            }
        }
    }

    /// Calls `body` for each term in ascending byte order with its posting list in the
    /// `.prefixed` form (``PostingList``): sorted by chunk id, a chunk added twice listed once
    /// with its later frequency. The list buffer is reused between calls.
    func forEachTermInOrder(_ body: (UnsafeRawBufferPointer, [UInt8]) throws -> Void) rethrows {
        var order = Array(0..<termCount)
        terms.bytes.withUnsafeBytes { all in
            order.sort { a, b in
                let left = UnsafeRawBufferPointer(rebasing: all[terms.range(of: a)])
                let right = UnsafeRawBufferPointer(rebasing: all[terms.range(of: b)])
                let common = min(left.count, right.count)
                var compared: Int32 = 0
                if common > 0, let leftBase = left.baseAddress, let rightBase = right.baseAddress {
                    compared = memcmp(leftBase, rightBase, common)
                }
                return compared != 0 ? compared < 0 : left.count < right.count
            }
        }
        let (rank, rankedChunks) = chunkRanks()
        // Counting sort of the nodes by term, in term order; stable, so a term's postings
        // keep the order they were added in.
        var next = [Int32](repeating: 0, count: termCount)
        var start: Int32 = 0
        for term in order {
            next[term] = start
            start += termPostings[term]
        }
        var placed = [(rank: Int32, frequency: UInt32)](repeating: (0, 0), count: nodeChunk.count)
        for node in nodeChunk.indices {
            let term = Int(nodeTerm[node])
            placed[Int(next[term])] = (rank[Int(nodeChunk[node])], nodeFrequency[node])
            next[term] += 1
        }
        var postings: [(rank: Int32, frequency: UInt32)] = []
        var list = PostingList.Writer()
        var end = 0
        try terms.bytes.withUnsafeBytes { all in
            for term in order {
                let begin = end
                end += Int(termPostings[term])
                postings.removeAll(keepingCapacity: true)
                var inOrder = true
                for posting in placed[begin..<end] {
                    if let last = postings.last, last.rank >= posting.rank { inOrder = false }
                    postings.append(posting)
                }
                // Stable, so of one chunk's postings the later comes last and is the one kept.
                if !inOrder { postings.sort { $0.rank < $1.rank } }
                list.removeAll()
                for index in postings.indices where index + 1 == postings.count || postings[index + 1].rank != postings[index].rank {
                    list.append(rankedChunks[Int(postings[index].rank)], frequency: postings[index].frequency)
                }
                try body(UnsafeRawBufferPointer(rebasing: all[terms.range(of: term)]), list.bytes)
            }
        }
    }

    /// Each added chunk's rank in id order (equal ids share one), and the ids by rank. A
    /// group's chunks usually come in id order already, and then the ranks are their indices.
    private func chunkRanks() -> (rank: [Int32], chunks: [PostingList.ChunkID]) {
        if zip(chunks, chunks.dropFirst()).allSatisfy({ $0 < $1 }) {
            return (Array(0..<Int32(chunks.count)), chunks)
        }
        let byID = chunks.indices.sorted { chunks[$0] < chunks[$1] }
        var rank = Array(repeating: Int32(0), count: chunks.count)
        var ranked: [PostingList.ChunkID] = []
        for index in byID {
            if ranked.last != chunks[index] { ranked.append(chunks[index]) }
            rank[index] = Int32(ranked.count - 1)
        }
        return (rank, ranked)
    }
}
