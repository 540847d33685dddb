internal import IngestRunner
internal import IngestStore
internal import LMDBKit

/// embed: turns chunk texts into vectors with the job's embedder, in batches.
struct EmbedPhase: PhaseWorker {
    /// A vector as the worker encoded it: the record the writer thread only has to put.
    struct Output: Sendable {
        let record: [UInt8]
        let dimension: Int

        /// For a chunk that is gone: a later job over the source re-chunked or removed its
        /// document, and indexed what replaced it. Nothing to embed, write or hand on — and
        /// not a failure, which the user could do nothing about.
        static let superseded = Output(record: [], dimension: 0)
        var isSuperseded: Bool { record.isEmpty }
    }

    let store: PipelineStore
    let embedder: any Embedder

    var batchSize: Int { 32 }

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Output>] {
        let chunks = try ChunkTexts.read(items.map(\.key), store: store)
        let present = chunks.indices.filter { chunks[$0] != nil }
        let results = try await embedder.embedEach(present.compactMap { chunks[$0]?.text })
        guard results.count == present.count else {
            throw EmbedderError(scope: .batch, message: "the embedder returned \(results.count) results for \(present.count) texts")
        }
        var outcomes = [ItemOutcome<Output>](repeating: .done(.superseded), count: items.count)
        for (position, index) in present.enumerated() {
            switch results[position] {
            case .success(let vector):
                let record = VectorRecord(embedder: embedder.identity, values: vector).encoded()
                outcomes[index] = .done(Output(record: record, dimension: vector.count))
            case .failure(let error): outcomes[index] = .failed(reason: error.message)
            }
        }
        return outcomes
    }

    /// The record, plus its key.
    func outputBytes(_ output: Output) -> Int { output.record.count + 32 }

    func commit(_ output: Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        try commitGroup([(output, item)], job: job, into: batch)[0]
    }

    func commitGroup(_ done: [(output: Output, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
        let txn = batch.transaction
        var written: Output?
        for (output, item) in done where !output.isSuperseded {
            try txn.putAppending(store.vectors, item.key, output.record)
            written = output
        }
        // Search needs to know which embedders made the stored vectors, to embed a query alike.
        if let written {
            try txn.put(store.stats, IndexStatistics.embedderKey(embedder.identity), BigEndian.bytes(UInt64(written.dimension)))
        }
        return done.map { $0.output.isSuperseded ? [] : [WorkItem(key: $0.item.key)] }
    }
}
