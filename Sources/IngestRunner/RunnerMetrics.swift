internal import CoreMetrics

/// What the runner reports through swift-metrics. A host that bootstraps a metrics backend
/// gets these without further work; without one they cost a no-op call.
public enum RunnerMetrics {
    /// Timer: how long each group commit (one write transaction, synced) took.
    public static let commitDurationLabel = "ingest_commit_duration_seconds"

    /// Made per job run rather than once per process, so a host that bootstraps its metrics
    /// backend after the first run still gets the later ones.
    static func commitDuration() -> Timer { Timer(label: commitDurationLabel) }
}
