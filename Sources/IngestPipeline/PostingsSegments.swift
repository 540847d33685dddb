internal import IngestStore
internal import LMDBKit

/// The BM25 inverted index as append-only segments.
///
/// Each group commit of the index phase writes one new segment: for every term of the
/// group's chunks, one entry `segment (u32 big-endian) · term` whose value packs the term's
/// postings — `chunk id (16) · term frequency (u32)` each, sorted by chunk id. Segment numbers
/// only grow, so a group's entries land at the end of the B-tree: a commit writes about the
/// size of its own postings instead of rewriting pages across the whole index, which keeps
/// disk writes and a transaction's dirty memory small.
///
/// A query reads a term's entry in every segment. Postings of chunks that were removed since
/// (changed or deleted files) are skipped because their chunk is gone, and dropped for good
/// when segments are merged: when a job's index phase completes, the segments that job wrote
/// are merged into one, and when more than `maxSegments` remain, all of them are.
enum PostingsSegments {
    static let maxSegments = 16
    private static let nextKey = Array("segments:next".utf8)
    private static let registryPrefix = Array("segment:".utf8)

    struct Posting: Equatable {
        var chunk: [UInt8]
        var frequency: UInt32
    }

    /// A segment as the registry lists it.
    struct Segment: Equatable {
        var number: UInt32
        /// The job whose index phase wrote it (a merged segment names the merging job).
        var job: String
    }

    // MARK: Writing

    /// Writes `postings` (term → postings) as a new segment written by `job`.
    static func write(_ postings: [[UInt8]: [Posting]], job: String, in txn: WriteTransaction, store: PipelineStore) throws {
        guard !postings.isEmpty else { return }
        let number = try txn.get(store.stats, nextKey).map { UInt32(truncatingIfNeeded: BigEndian.value($0)) } ?? 0
        try txn.put(store.stats, nextKey, BigEndian.bytes(UInt64(number) + 1))
        for term in postings.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let list = postings[term] else { continue }
            try txn.put(store.postings, key(number, term), encode(list))
        }
        try txn.put(store.stats, registryPrefix + numberBytes(number), Array(job.utf8))
    }

    // MARK: Reading

    /// The segments, oldest first.
    static func segments(in txn: ReadTransaction, store: PipelineStore) throws -> [Segment] {
        var found: [Segment] = []
        try txn.scan(store.stats, prefix: registryPrefix) { key, value in
            let number = key.dropFirst(registryPrefix.count).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            found.append(Segment(number: number, job: String(decoding: value, as: UTF8.self)))
            return true
        }
        return found
    }

    /// A term's postings over all `segments`, each chunk once (the newest segment wins).
    static func postings(
        of term: [UInt8], segments: [Segment], in txn: ReadTransaction, store: PipelineStore
    ) throws -> [Posting] {
        var byChunk: [[UInt8]: UInt32] = [:]
        for segment in segments {
            guard let bytes = try txn.get(store.postings, key(segment.number, term)) else { continue }
            for posting in decode(bytes) { byChunk[posting.chunk] = posting.frequency }
        }
        return byChunk.map { Posting(chunk: $0.key, frequency: $0.value) }
    }

    // MARK: Merging

    /// Merges the segments `job` wrote into one, then everything if too many segments remain.
    static func compact(after job: String, in txn: WriteTransaction, store: PipelineStore) throws {
        let all = try segments(in: txn, store: store)
        let own = all.filter { $0.job == job }
        if own.count > 1 { try merge(own, job: job, in: txn, store: store) }
        let remaining = try segments(in: txn, store: store)
        if remaining.count > maxSegments { try merge(remaining, job: job, in: txn, store: store) }
    }

    /// Streams a k-way merge of `segments` (their entries are sorted by term) into one new
    /// segment, dropping postings of chunks that no longer exist, then deletes the old ones.
    /// Memory holds one term's postings at a time.
    static func merge(_ segments: [Segment], job: String, in txn: WriteTransaction, store: PipelineStore) throws {
        guard segments.count > 1 else { return }
        let number = try txn.get(store.stats, nextKey).map { UInt32(truncatingIfNeeded: BigEndian.value($0)) } ?? 0
        try txn.put(store.stats, nextKey, BigEndian.bytes(UInt64(number) + 1))
        var alive: [[UInt8]: Bool] = [:]
        func isAlive(_ chunk: [UInt8]) throws -> Bool {
            if let known = alive[chunk] { return known }
            let exists = try txn.contains(store.chunks, chunk)
            alive[chunk] = exists
            return exists
        }
        // Each segment's next term, read with a fresh lookup (the writes below move pages).
        var heads: [(segment: UInt32, term: [UInt8])] = []
        for segment in segments {
            if let term = try firstTerm(in: segment.number, after: nil, txn: txn, store: store) {
                heads.append((segment.number, term))
            }
        }
        while let smallest = heads.map(\.term).min(by: { $0.lexicographicallyPrecedes($1) }) {
            var byChunk: [[UInt8]: UInt32] = [:]
            for index in heads.indices where heads[index].term == smallest {
                let segment = heads[index].segment
                if let bytes = try txn.get(store.postings, key(segment, smallest)) {
                    for posting in decode(bytes) where try isAlive(posting.chunk) { byChunk[posting.chunk] = posting.frequency }
                }
            }
            if !byChunk.isEmpty {
                let list = byChunk.map { Posting(chunk: $0.key, frequency: $0.value) }
                try txn.put(store.postings, key(number, smallest), encode(list))
            }
            var advanced: [(segment: UInt32, term: [UInt8])] = []
            for head in heads {
                if head.term == smallest {
                    if let next = try firstTerm(in: head.segment, after: smallest, txn: txn, store: store) {
                        advanced.append((head.segment, next))
                    }
                } else {
                    advanced.append(head)
                }
            }
            heads = advanced
        }
        for segment in segments {
            try txn.deleteAll(store.postings, prefix: numberBytes(segment.number))
            try txn.delete(store.stats, registryPrefix + numberBytes(segment.number))
        }
        try txn.put(store.stats, registryPrefix + numberBytes(number), Array(job.utf8))
    }

    /// The first term of `segment` after `term` (or its first term).
    private static func firstTerm(in segment: UInt32, after term: [UInt8]?, txn: ReadTransaction, store: PipelineStore) throws -> [UInt8]? {
        let prefix = numberBytes(segment)
        // Terms never hold 0x00, so "term · 0x00" is the least key after `term`.
        let start = term.map { prefix + $0 + [0] } ?? prefix
        return try txn.withCursor(store.postings) { cursor in
            guard let entry = try start.withUnsafeBytes({ try cursor.seek(atOrAfter: $0) }), entry.key.starts(with: prefix) else {
                return nil
            }
            return Array(entry.key.dropFirst(prefix.count))
        }
    }

    // MARK: Layout

    static func key(_ segment: UInt32, _ term: [UInt8]) -> [UInt8] { numberBytes(segment) + term }

    private static func numberBytes(_ number: UInt32) -> [UInt8] {
        withUnsafeBytes(of: number.bigEndian) { Array($0) }
    }

    static func encode(_ postings: [Posting]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(postings.count * 20)
        for posting in postings.sorted(by: { $0.chunk.lexicographicallyPrecedes($1.chunk) }) {
            bytes.append(contentsOf: posting.chunk)
            withUnsafeBytes(of: posting.frequency.bigEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [Posting] {
        var postings: [Posting] = []
        postings.reserveCapacity(bytes.count / 20)
        var offset = 0
        while offset + 20 <= bytes.count {
            let chunk = Array(bytes[offset..<(offset + 16)])
            let frequency = bytes[(offset + 16)..<(offset + 20)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            postings.append(Posting(chunk: chunk, frequency: frequency))
            offset += 20
        }
        return postings
    }
}
