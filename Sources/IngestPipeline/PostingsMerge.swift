internal import IngestStore
internal import LMDBKit

/// When and how index segments are merged: in size tiers, a few adjacent segments at a time,
/// inside the group commit that wrote the newest of them.
///
/// A segment's tier follows from its size (below 32 KiB, below 128 KiB; at or above that it
/// is final and never merged again). After each new segment, while the newest `fanIn`
/// segments share a tier, they become one — like the carries of a counter, so a posting is
/// rewritten about once per tier. A merge therefore reads less than `fanIn` × 128 KiB, and a
/// transaction's dirty pages (which LMDB keeps in memory until the commit) stay bounded
/// however large the index grows. Merging a whole job's index at once, as this did before,
/// held the entire index in one transaction: memory grew with the corpus.
///
/// Only adjacent segments are merged, and the result takes the newest one's number, so the
/// "newer segment wins" order that queries rely on is kept.
enum PostingsMerge {
    static let fanIn = 4
    /// Exclusive upper bounds of the mergeable tiers, in bytes.
    ///
    /// Merges are for the small segments of short runs and small groups: a query reads a term
    /// in every segment, and dozens of tiny ones would each cost a lookup. A group commit of
    /// a large run writes a segment of 128–512 KiB by itself (about 340 KiB over the 100 MB
    /// benchmark corpus). A third tier, up to 512 KiB, merged those four at a time, so that
    /// 40% of all postings were written twice, on the writer thread that paces the run.
    /// Without it, a 100 MB run was 1–15% faster and wrote 3–7% fewer blocks, and the Python
    /// standard library ingested 10–20% faster with full sync. A query over 100 MB reads 147
    /// segments instead of 99, which its time did not show (BENCHMARKS.md).
    static let tierLimits: [UInt64] = [32 << 10, 128 << 10]

    /// The tier of a segment, `nil` when it is final (or its size or format is unknown).
    static func tier(of segment: PostingsSegments.Segment) -> Int? {
        guard let bytes = segment.bytes, segment.format != nil else { return nil }
        return tierLimits.firstIndex { bytes < $0 }
    }

    /// While the newest `fanIn` segments share a mergeable tier, merges them.
    static func mergeNewest(job: String, in txn: WriteTransaction, store: PipelineStore) throws {
        while true {
            let newest = try PostingsSegments.segments(in: txn, store: store).suffix(fanIn)
            guard newest.count == fanIn, let first = newest.first, let tier = tier(of: first),
                newest.allSatisfy({ self.tier(of: $0) == tier })
            else { return }
            try merge(Array(newest), job: job, in: txn, store: store)
        }
    }

    /// Merges adjacent `segments` (oldest first) into the newest of them, term by term,
    /// dropping postings of chunks that no longer exist; the others are removed. The result
    /// is `.prefixed`, whatever its inputs were. Segments of an unknown format are never merged.
    static func merge(_ segments: [PostingsSegments.Segment], job: String, in txn: WriteTransaction, store: PipelineStore) throws {
        guard segments.count > 1, let target = segments.last, segments.allSatisfy({ $0.format != nil }) else { return }
        var liveness = ChunkLiveness()
        var merged = PostingList.Writer()
        var bytes: UInt64 = 0
        // Each segment's next term, read with a fresh lookup (the writes below move pages).
        var heads: [(segment: UInt32, format: PostingFormat, term: [UInt8])] = []
        for segment in segments {
            if let format = segment.format, let term = try PostingsSegments.firstTerm(in: segment.number, after: nil, txn: txn, store: store) {
                heads.append((segment.number, format, term))
            }
        }
        var lists: [(bytes: [UInt8], format: PostingFormat)] = []
        while let smallest = heads.min(by: { $0.term.lexicographicallyPrecedes($1.term) })?.term {
            lists.removeAll(keepingCapacity: true)
            for head in heads where head.term == smallest {
                if let list = try txn.get(store.postings, PostingsSegments.key(head.segment, smallest)) {
                    lists.append((list, head.format))
                }
            }
            try PostingList.merge(lists, into: &merged) { chunk in try liveness.exists(chunk, in: txn, store: store) }
            let key = PostingsSegments.key(target.number, smallest)
            if merged.isEmpty {
                try txn.delete(store.postings, key)
            } else {
                try txn.put(store.postings, key, merged.bytes)
                bytes += UInt64(key.count + merged.bytes.count)
            }
            var advanced: [(segment: UInt32, format: PostingFormat, term: [UInt8])] = []
            for head in heads {
                if head.term != smallest {
                    advanced.append(head)
                } else if let next = try PostingsSegments.firstTerm(in: head.segment, after: smallest, txn: txn, store: store) {
                    advanced.append((head.segment, head.format, next))
                }
            }
            heads = advanced
        }
        for segment in segments.dropLast() {
            try PostingsSegments.remove(segment.number, in: txn, store: store)
        }
        try PostingsSegments.register(PostingsSegments.Segment(number: target.number, job: job, bytes: bytes, format: .prefixed), in: txn, store: store)
    }
}
