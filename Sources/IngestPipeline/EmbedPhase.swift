internal import IngestRunner
internal import IngestStore
internal import LMDBKit

/// embed: turns chunk texts into vectors with the job's embedder, in batches.
struct EmbedPhase: PhaseWorker {
    let store: PipelineStore
    let embedder: any Embedder

    var batchSize: Int { 32 }

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<[Float]>] {
        let chunks = try ChunkTexts.read(items.map(\.key), store: store)
        let present = chunks.indices.filter { chunks[$0] != nil }
        let results = try await embedder.embedEach(present.compactMap { chunks[$0]?.text })
        guard results.count == present.count else {
            throw EmbedderError(scope: .batch, message: "the embedder returned \(results.count) results for \(present.count) texts")
        }
        var outcomes = [ItemOutcome<[Float]>](repeating: .failed(reason: "the chunk is gone from the store"), count: items.count)
        for (position, index) in present.enumerated() {
            switch results[position] {
            case .success(let vector): outcomes[index] = .done(vector)
            case .failure(let error): outcomes[index] = .failed(reason: error.message)
            }
        }
        return outcomes
    }

    /// The vector as stored: four bytes a dimension, plus its key and header.
    func outputBytes(_ output: [Float]) -> Int { output.count * 4 + 64 }

    func commit(_ output: [Float], for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        let record = VectorRecord(embedder: embedder.identity, values: output)
        try batch.transaction.putAppending(store.vectors, item.key, record.encoded())
        // Search needs to know which embedders made the stored vectors, to embed a query alike.
        try batch.transaction.put(store.stats, IndexStatistics.embedderKey(embedder.identity), BigEndian.bytes(UInt64(output.count)))
        return [WorkItem(key: item.key)]
    }
}
