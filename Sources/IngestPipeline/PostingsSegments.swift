internal import IngestStore
internal import LMDBKit

/// The BM25 inverted index as append-only segments.
///
/// Each group commit of the index phase writes one new segment: for every term of the
/// group's chunks, one entry `segment (u32 big-endian) · term` whose value is the term's
/// posting list in that segment — chunk ids and term frequencies, sorted by chunk id, packed
/// as the registry says (`PostingFormat`). Segment numbers only grow, so a group's entries
/// land at the end of the B-tree: a commit writes about the size of its own postings instead
/// of rewriting pages across the whole index, which keeps disk writes and a transaction's
/// dirty memory small.
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
        /// How its lists are packed; `nil` when the registry names a format this build does
        /// not know (a damaged entry): such a segment is neither read nor merged.
        var format: PostingFormat? = .prefixed
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
                try list.withUnsafeBytes { value in try txn.putAppending(store.postings, key: keyBytes, value: value) }
            }
            bytes += UInt64(key.count + list.count)
        }
        try register(Segment(number: number, job: job, bytes: bytes, format: .prefixed), in: txn, store: store)
        try PostingsMerge.mergeNewest(job: job, in: txn, store: store)
    }

    /// Lists `segment` in the registry, or updates its entry: `job · 0x00 · size (u64) ·
    /// format (u8)`. Entries written before schema version 2 have no format byte (their
    /// lists are `.fixed`), the oldest ones no size either.
    static func register(_ segment: Segment, in txn: WriteTransaction, store: PipelineStore) throws {
        var value = Array(segment.job.utf8)
        if let bytes = segment.bytes {
            // Job ids hold no 0x00, so it separates the size from the name.
            value.append(0)
            value.append(contentsOf: BigEndian.bytes(bytes))
            if let format = segment.format, format != .fixed { value.append(format.rawValue) }
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
            var format: PostingFormat? = .fixed
            // After the separator: the size (8 bytes), then the format byte if any.
            if let separator = value.firstIndex(of: 0), [9, 10].contains(value.count - separator) {
                job = value[..<separator]
                bytes = BigEndian.value(value[(separator + 1)...(separator + 8)])
                if value.count - separator == 10, let last = value.last { format = PostingFormat(rawValue: last) }
            }
            found.append(Segment(number: number, job: String(decoding: job, as: UTF8.self), bytes: bytes, format: format))
            return true
        }
        return found
    }

    /// A term's postings over all `segments`, each chunk once (the newest segment wins).
    static func postings(
        of term: [UInt8], segments: [Segment], in txn: ReadTransaction, store: PipelineStore
    ) throws -> [Posting] {
        try postingsInOrder(of: term, segments: segments, in: txn, store: store).map { Posting(chunk: $0.chunk.bytes, frequency: $0.frequency) }
    }

    /// A term's postings over all `segments`, sorted by chunk id, each chunk once (the newest
    /// segment wins), with the ids as numbers: no array, and no hashing, per posting.
    static func postingsInOrder(
        of term: [UInt8], segments: [Segment], in txn: ReadTransaction, store: PipelineStore
    ) throws -> [(chunk: PostingList.ChunkID, frequency: UInt32)] {
        var all: [(chunk: PostingList.ChunkID, segment: Int, frequency: UInt32)] = []
        for (age, segment) in segments.enumerated() {
            guard let format = segment.format, let bytes = try txn.get(store.postings, key(segment.number, term)) else { continue }
            bytes.withUnsafeBytes { buffer in
                var reader = PostingList.Reader(buffer, format: format)
                while reader.next() { all.append((reader.chunk, age, reader.frequency)) }
            }
        }
        // Each segment's list is sorted, and chunk ids grow as runs append, so the lists
        // arrive nearly in order; a chunk listed again (its document indexed again) sorts its
        // newest posting last among its equals.
        all.sort { $0.chunk != $1.chunk ? $0.chunk < $1.chunk : $0.segment < $1.segment }
        var postings: [(chunk: PostingList.ChunkID, frequency: UInt32)] = []
        postings.reserveCapacity(all.count)
        for (index, posting) in all.enumerated() where index + 1 == all.count || all[index + 1].chunk != posting.chunk {
            postings.append((posting.chunk, posting.frequency))
        }
        return postings
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

    /// The `.prefixed` list of `postings`, sorted by chunk id (for one chunk listed twice,
    /// the later posting). Chunk ids that are not 16 bytes are left out.
    static func encode(_ postings: [Posting]) -> [UInt8] {
        var byChunk: [PostingList.ChunkID: UInt32] = [:]
        for posting in postings {
            if let chunk = PostingList.ChunkID(posting.chunk) { byChunk[chunk] = posting.frequency }
        }
        var writer = PostingList.Writer(reservingPostings: byChunk.count)
        for (chunk, frequency) in byChunk.sorted(by: { $0.key < $1.key }) { writer.append(chunk, frequency: frequency) }
        return writer.bytes
    }

    /// The postings of a list in `format`, up to any damage.
    static func decode(_ bytes: [UInt8], format: PostingFormat) -> [Posting] {
        bytes.withUnsafeBytes { buffer in
            var reader = PostingList.Reader(buffer, format: format)
            var postings: [Posting] = []
            while reader.next() { postings.append(Posting(chunk: reader.chunk.bytes, frequency: reader.frequency)) }
            return postings
        }
    }
}
