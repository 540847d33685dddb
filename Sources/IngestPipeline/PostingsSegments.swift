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
/// A query reads a term's entry in every segment; where two segments list the same chunk,
/// the newer one wins. Postings of chunks that were removed since (changed or deleted files)
/// are skipped because their chunk is gone, and dropped for good when segments are merged.
/// Small segments are merged as they accumulate, in bounded steps (see `PostingsMerge`).
enum PostingsSegments {
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
        /// The bytes of its entries, keys and values; `nil` for a segment registered before
        /// sizes were recorded (it is never merged).
        var bytes: UInt64?
    }

    // MARK: Writing

    /// Writes a group's postings as a new segment written by `job` (in term order, each list
    /// sorted by chunk id), registers it with its size, then merges the newest segments where
    /// they have piled up.
    static func write(_ postings: GroupPostings, job: String, in txn: WriteTransaction, store: PipelineStore) throws {
        guard !postings.isEmpty else { return }
        let number = try txn.get(store.stats, nextKey).map { UInt32(truncatingIfNeeded: BigEndian.value($0)) } ?? 0
        try txn.put(store.stats, nextKey, BigEndian.bytes(UInt64(number) + 1))
        var bytes: UInt64 = 0
        var key = numberBytes(number)
        let prefixLength = key.count
        try postings.forEachTermInOrder { term, list in
            key.removeSubrange(prefixLength...)
            key.append(contentsOf: term)
            try key.withUnsafeBytes { keyBytes in
                try list.withUnsafeBytes { value in try txn.put(store.postings, key: keyBytes, value: value) }
            }
            bytes += UInt64(key.count + list.count)
        }
        try register(Segment(number: number, job: job, bytes: bytes), in: txn, store: store)
        try PostingsMerge.mergeNewest(job: job, in: txn, store: store)
    }

    /// Lists `segment` in the registry, or updates its entry.
    static func register(_ segment: Segment, in txn: WriteTransaction, store: PipelineStore) throws {
        var value = Array(segment.job.utf8)
        if let bytes = segment.bytes {
            // Job ids hold no 0x00, so it separates the size from the name.
            value.append(0)
            value.append(contentsOf: BigEndian.bytes(bytes))
        }
        try txn.put(store.stats, registryPrefix + numberBytes(segment.number), value)
    }

    /// Removes `segment`'s entries and its registry entry.
    static func remove(_ segment: UInt32, in txn: WriteTransaction, store: PipelineStore) throws {
        try txn.deleteAll(store.postings, prefix: numberBytes(segment))
        try txn.delete(store.stats, registryPrefix + numberBytes(segment))
    }

    // MARK: Reading

    /// The segments, oldest first.
    static func segments(in txn: ReadTransaction, store: PipelineStore) throws -> [Segment] {
        var found: [Segment] = []
        try txn.scan(store.stats, prefix: registryPrefix) { key, value in
            let number = key.dropFirst(registryPrefix.count).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            var job = value[...]
            var bytes: UInt64?
            if let separator = value.firstIndex(of: 0), value.count - separator == 9 {
                job = value[..<separator]
                bytes = BigEndian.value(value[(separator + 1)...])
            }
            found.append(Segment(number: number, job: String(decoding: job, as: UTF8.self), bytes: bytes))
            return true
        }
        return found
    }

    /// A term's postings over all `segments`, each chunk once (the newest segment wins).
    static func postings(
        of term: [UInt8], segments: [Segment], in txn: ReadTransaction, store: PipelineStore
    ) throws -> [Posting] {
        var byChunk: [HashedBytes: UInt32] = [:]
        for segment in segments {
            guard let bytes = try txn.get(store.postings, key(segment.number, term)) else { continue }
            for posting in decode(bytes) { byChunk[HashedBytes(posting.chunk)] = posting.frequency }
        }
        return byChunk.map { Posting(chunk: $0.key.bytes, frequency: $0.value) }
    }

    /// The first term of `segment` after `term` (or its first term).
    static func firstTerm(in segment: UInt32, after term: [UInt8]?, txn: ReadTransaction, store: PipelineStore) throws -> [UInt8]? {
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

    /// The packed form, sorted by chunk id.
    static func encode(_ postings: [Posting]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(postings.count * PostingList.stride)
        for posting in postings {
            PostingList.append(chunk: posting.chunk, frequency: posting.frequency, to: &bytes)
        }
        return PostingList.sortedByChunk(bytes)
    }

    static func decode(_ bytes: [UInt8]) -> [Posting] {
        var postings: [Posting] = []
        postings.reserveCapacity(bytes.count / PostingList.stride)
        var offset = 0
        while offset + PostingList.stride <= bytes.count {
            let chunk = Array(bytes[offset..<(offset + 16)])
            let frequency = bytes[(offset + 16)..<(offset + 20)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            postings.append(Posting(chunk: chunk, frequency: frequency))
            offset += PostingList.stride
        }
        return postings
    }
}
