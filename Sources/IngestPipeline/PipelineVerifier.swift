public import IngestStore
internal import LMDBKit

/// Walks the pipeline's databases and reports each record that does not decode or does not
/// agree with the records it refers to, by key (`ingest verify`).
///
/// LMDB keeps no checksums, so a flipped bit in a value is found only when it breaks a
/// record's layout or an invariant the pipeline keeps: a document's chunks are exactly its
/// ordinals, a chunk names its document, the index statistics count the indexed chunks and
/// their tokens, every index mark names a stored chunk, a chunk's token count matches its
/// text, vectors have their embedder's dimension and finite values, postings are sorted and
/// name registered segments.
public enum PipelineVerifier {
    /// Checks every pipeline record in one read transaction (a consistent snapshot).
    /// - Returns: The inconsistencies found; empty when the index is sound.
    public static func verify(_ store: PipelineStore) throws -> [Inconsistency] {
        try store.jobs.read { txn in
            var found: [Inconsistency] = []
            func report(_ database: String, _ key: some Collection<UInt8>, _ problem: String) {
                found.append(Inconsistency(database: database, key: key, problem: problem))
            }
            let chunks = try verifyChunks(store, in: txn, report: report)
            try verifyDocuments(store, chunksByDocument: chunks.byDocument, in: txn, report: report)
            try verifyMarks(store, in: txn, report: report)
            let embedders = try verifyStatistics(store, indexed: chunks.indexed, in: txn, report: report)
            try verifyVectors(store, embedders: embedders, in: txn, report: report)
            try verifyPostings(store, in: txn, report: report)
            return found
        }
    }

    /// What the chunk walk learns for the other checks.
    private struct ChunkSummary {
        /// Per document version (collection · sequence): how many chunks, and the highest ordinal.
        var byDocument: [[UInt8]: (count: Int, highest: Int)] = [:]
        /// Indexed chunks and their tokens, to compare with the statistics.
        var indexed: (chunks: UInt64, tokens: UInt64) = (0, 0)
    }

    private static func verifyChunks(
        _ store: PipelineStore, in txn: ReadTransaction, report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws -> ChunkSummary {
        var summary = ChunkSummary()
        try txn.scan(store.chunks) { key, value in
            guard let ordinal = PipelineKeys.chunkOrdinal(key) else {
                report("chunks", key, "key is not a 16-byte chunk id")
                return true
            }
            guard let chunk = ChunkRecord(decoding: value) else {
                report("chunks", key, "record does not decode")
                return true
            }
            guard chunk.collection.elementsEqual(key.prefix(8)), Int(chunk.ordinal) == ordinal else {
                report("chunks", key, "record names collection and ordinal \(chunk.ordinal), not its key's")
                return true
            }
            let version = Array(key.prefix(12))
            let sequence = version.dropFirst(8).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let documentKey = PipelineKeys.document(chunk.collection, chunk.relativePath)
            let document = try txn.get(store.documents, documentKey).flatMap(DocumentRecord.init(decoding:))
            if document?.sequence != sequence {
                report("chunks", key, "no version \(sequence) of document \(chunk.relativePath) has this chunk")
            }
            let seen = summary.byDocument[version] ?? (0, -1)
            summary.byDocument[version] = (seen.count + 1, max(seen.highest, ordinal))
            let mark = try store.indexedChunks.flatMap { try txn.get($0, Array(key)) }
            if mark != nil, chunk.legacyTokenCount != nil {
                report("chunks", key, "is counted twice: in its record (layout 1) and in indexed_chunks")
            }
            if let counted = mark.map({ IndexedChunks.decode($0) ?? 0 }) ?? chunk.legacyTokenCount {
                summary.indexed.chunks += 1
                summary.indexed.tokens += UInt64(counted)
                var tokens: UInt32 = 0
                Tokenizer.forEachToken(in: chunk.text) { _ in tokens += 1 }
                if tokens != counted {
                    report("chunks", key, "its text has \(tokens) tokens but the index counted \(counted)")
                }
            }
            return true
        }
        return summary
    }

    /// Every mark names a stored chunk and holds a token count (the chunk walk compares it
    /// with the text).
    private static func verifyMarks(
        _ store: PipelineStore, in txn: ReadTransaction, report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws {
        guard let marks = store.indexedChunks else { return }
        try txn.scan(marks) { key, value in
            if IndexedChunks.decode(value) == nil {
                report("indexed_chunks", key, "value is \(value.count) bytes, not a 4-byte token count")
            }
            if try !txn.contains(store.chunks, Array(key)) {
                report("indexed_chunks", key, "marks a chunk that is not stored")
            }
            return true
        }
    }

    private static func verifyDocuments(
        _ store: PipelineStore, chunksByDocument: [[UInt8]: (count: Int, highest: Int)], in txn: ReadTransaction,
        report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws {
        try txn.scan(store.documents) { key, value in
            guard key.count > 8, let document = DocumentRecord(decoding: value) else {
                report("documents", key, "record does not decode")
                return true
            }
            let version = PipelineKeys.chunkPrefix(collection: Array(key.prefix(8)), document: document.sequence)
            let stored = chunksByDocument[version] ?? (0, -1)
            if document.chunkCount == ChunkPhase.pendingChunks {
                if stored.count > 0 { report("documents", key, "is not chunked yet but \(stored.count) chunks exist") }
            } else if stored.count != Int(document.chunkCount) || stored.highest != Int(document.chunkCount) - 1 {
                report("documents", key, "says \(document.chunkCount) chunks but \(stored.count) are stored")
            }
            return true
        }
    }

    /// Returns the embedders the statistics list, with their dimensions.
    private static func verifyStatistics(
        _ store: PipelineStore, indexed: (chunks: UInt64, tokens: UInt64), in txn: ReadTransaction,
        report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws -> [String: Int] {
        var embedders: [String: Int] = [:]
        let embedderPrefix = Array("embedder:".utf8)
        try txn.scan(store.stats) { key, value in
            if key.elementsEqual(PipelineKeys.chunkCount) || key.elementsEqual(PipelineKeys.tokenCount) {
                let counted = key.elementsEqual(PipelineKeys.chunkCount) ? indexed.chunks : indexed.tokens
                if value.count != 8 || BigEndian.value(value) != counted {
                    report("index_stats", key, "says \(BigEndian.value(value)) but the indexed chunks hold \(counted)")
                }
            } else if key.starts(with: embedderPrefix) {
                let dimension = BigEndian.value(value)
                if value.count == 8, (1...UInt64(VectorRecord.maxDimension)).contains(dimension) {
                    embedders[String(decoding: key.dropFirst(embedderPrefix.count), as: UTF8.self)] = Int(dimension)
                } else {
                    report("index_stats", key, "the embedder's dimension is not 1...\(VectorRecord.maxDimension)")
                }
            }
            return true
        }
        return embedders
    }

    private static func verifyVectors(
        _ store: PipelineStore, embedders: [String: Int], in txn: ReadTransaction,
        report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws {
        var values: [Float] = []
        try txn.scan(store.vectors) { key, value in
            // Read in place into one reused array: decoding every vector into an array of its
            // own costs more than the whole rest of the check.
            guard key.count == 16, let layout = VectorRecord.layout(of: value) else {
                report("vectors", key, "record does not decode")
                return true
            }
            if let dimension = embedders[layout.embedder], dimension != layout.count {
                report("vectors", key, "has \(layout.count) values, its embedder makes \(dimension)")
            } else if embedders[layout.embedder] == nil {
                report("vectors", key, "was made by \(layout.embedder), which the index statistics do not list")
            }
            if !layout.values(of: value, into: &values) {
                report("vectors", key, "has a palette index past the end of its palette")
            } else if values.contains(where: { !$0.isFinite }) {
                report("vectors", key, "holds a value that is not a finite number")
            }
            return true
        }
    }

    private static func verifyPostings(
        _ store: PipelineStore, in txn: ReadTransaction, report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws {
        let registered = try PostingsSegments.segments(in: txn, store: store)
        let formats = Dictionary(registered.map { ($0.number, $0.format) }, uniquingKeysWith: { first, _ in first })
        var heldBytes: [UInt32: UInt64] = [:]
        try txn.scan(store.postings) { key, value in
            guard key.count > 4 else {
                report("postings", key, "key is not a segment and a term")
                return true
            }
            let segment = key.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            heldBytes[segment, default: 0] += UInt64(key.count + value.count)
            guard let registeredFormat = formats[segment] else {
                report("postings", key, "belongs to segment \(segment), which is not registered")
                return true
            }
            guard let format = registeredFormat else {
                report("postings", key, "segment \(segment) is registered with a list format this build does not know")
                return true
            }
            // Readable to the end, sorted by chunk id, each chunk once, each frequency at least 1.
            var reader = PostingList.Reader(value, format: format)
            var previous: PostingList.ChunkID?
            var count = 0, sorted = true, zero = false
            while reader.next() {
                if let previous, previous >= reader.chunk { sorted = false }
                if reader.frequency == 0 { zero = true }
                previous = reader.chunk
                count += 1
            }
            if reader.isDamaged || count == 0 {
                report("postings", key, "holds \(value.count) bytes that are not a whole list of postings (format \(format.rawValue))")
            }
            if !sorted { report("postings", key, "postings are not sorted by chunk") }
            if zero { report("postings", key, "a posting has frequency 0") }
            return true
        }
        // The recorded size decides when a segment is merged: a wrong one could make a merge
        // far bigger than its bound.
        for segment in registered {
            guard let recorded = segment.bytes, recorded != heldBytes[segment.number, default: 0] else { continue }
            let key = Array("segment:".utf8) + withUnsafeBytes(of: segment.number.bigEndian) { Array($0) }
            key.withUnsafeBytes { keyBytes in
                report("index_stats", keyBytes, "segment \(segment.number) records \(recorded) bytes but holds \(heldBytes[segment.number, default: 0])")
            }
        }
    }
}
