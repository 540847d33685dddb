public import IngestCore
public import IngestRunner
public import IngestStore
public import Logging

/// The built-in pipeline for `ingest submit DIR`: load → chunk → embed → index.
public enum Pipeline {
    /// load, chunk, embed, index at 0.25 each.
    public static let plan = Plan.standard

    /// Submits a job for `source` with `settings` (validated first).
    /// - Returns: The job's id and whether it was created now.
    public static func submit(
        _ store: JobStore, source: String, id: JobID? = nil, settings: PipelineSettings
    ) throws -> (id: JobID, created: Bool) {
        try settings.validate()
        _ = try PipelineStore(store)
        return try store.submit(id: id, source: source, plan: plan, settings: settings.encoded())
    }

    /// The factory the runner uses to turn a stored pipeline job into its source and workers.
    public static func factory(_ store: PipelineStore, logger: Logger) -> JobFactory {
        { job in
            let settings = try PipelineSettings(stored: job.settings)
            guard job.plan == plan else {
                throw PipelineSettingsError("job \(job.id) has its own plan (\(job.plan.phases.map(\.name).joined(separator: ", "))); only its host can run it")
            }
            let embedder = try settings.makeEmbedder()
            return JobDefinition(
                source: LoadSource(settings: settings),
                workers: [
                    LoadPhase(store: store, settings: settings),
                    ChunkPhase(store: store, settings: settings, chunker: try Chunker(options: settings.chunking)),
                    EmbedPhase(store: store, embedder: embedder),
                    IndexPhase(store: store),
                ],
                runEnded: { (embedder as? ExecEmbedder)?.shutdown() }
            )
        }
    }
}
