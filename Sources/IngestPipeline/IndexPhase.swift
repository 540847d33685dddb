internal import IngestCore
internal import IngestRunner
internal import IngestStore
internal import LMDBKit

/// index: the BM25 inverted index — each group of chunks becomes one append-only postings
/// segment (see `PostingsSegments`) — and each chunk's length, marked in `IndexedChunks` and
/// added to the index statistics.
struct IndexPhase: PhaseWorker {
    /// A chunk's terms, counted and hashed by the worker.
    typealias Output = ChunkTerms

    let store: PipelineStore

    var batchSize: Int { 16 }

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Output>] {
        let chunks = try ChunkTexts.read(items.map(\.key), store: store)
        return chunks.map { chunk in
            // Gone: a later job over the source re-chunked or removed its document (see
            // `EmbedPhase.Output.superseded`). No terms; the commit finds it gone and skips it.
            guard let chunk else { return .done(ChunkTerms(text: "")) }
            return .done(ChunkTerms(text: chunk.text))
        }
    }

    /// One posting per distinct term (chunk id and frequency, with a share of the term key).
    func outputBytes(_ output: Output) -> Int { output.count * 32 }

    func commit(_ output: Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        try commitGroup([(output, item)], job: job, into: batch)[0]
    }

    /// One new index segment for the whole group: its terms' postings, written in term
    /// order at the end of the postings tree.
    func commitGroup(_ done: [(output: Output, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
        let txn = batch.transaction
        // Chunks share most of their terms: a quarter of the postings is a fair first guess.
        var postings = GroupPostings(expectedTerms: done.reduce(0) { $0 + $1.output.count } / 4)
        var newChunks = 0, newTokens: Int64 = 0
        for (output, item) in done {
            guard let id = PostingList.ChunkID(item.key) else { continue }
            // Only the chunk's mark is written, not its record: see `IndexedChunks`.
            switch try IndexedChunks.standing(of: item.key, in: txn, store: store) {
            case .gone: continue
            case .countedInRecord: break
            case .stored:
                if try IndexedChunks.mark(item.key, tokenCount: output.tokenCount, in: txn, store: store) {
                    newChunks += 1
                    newTokens += Int64(output.tokenCount)
                }
            }
            postings.add(chunk: id, terms: output)
        }
        if newChunks > 0 {
            try IndexStatistics.add(chunks: Int64(newChunks), tokens: newTokens, in: txn, store: store)
        }
        try PostingsSegments.write(postings, job: job.id.rawValue, in: txn, store: store)
        return done.map { _ in [] }
    }
}
