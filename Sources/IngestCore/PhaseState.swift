/// Everything recorded about one phase of one job.
public struct PhaseState: Sendable, Hashable {
    /// Where the phase stands.
    public var status: PhaseStatus
    /// Items this phase has finished (done or failed).
    public var processed: UInt64
    /// Items this phase will process, once known.
    public var total: UInt64?
    /// Items that failed and were skipped.
    public var itemsFailed: UInt64
    /// Opaque bytes the phase's worker uses to resume where it stopped.
    public var checkpoint: [UInt8]
    /// How many times the phase was started or retried. A resume is not an attempt.
    public var attempts: UInt32
    /// Why the phase is paused; `nil` unless `status` is `.paused`.
    public var pauseReason: PauseReason?
    /// The error that failed the phase, or the last one it recovered from.
    public var lastError: String?
    /// When the phase first started.
    public var startedAt: Timestamp?
    /// When the phase last changed: a transition or recorded progress.
    public var updatedAt: Timestamp?
    /// When the phase completed.
    public var completedAt: Timestamp?

    /// A phase state; the defaults are a phase that has not started.
    public init(
        status: PhaseStatus = .notStarted, processed: UInt64 = 0, total: UInt64? = nil,
        itemsFailed: UInt64 = 0, checkpoint: [UInt8] = [], attempts: UInt32 = 0,
        pauseReason: PauseReason? = nil, lastError: String? = nil,
        startedAt: Timestamp? = nil, updatedAt: Timestamp? = nil, completedAt: Timestamp? = nil
    ) {
        self.status = status
        self.processed = processed
        self.total = total
        self.itemsFailed = itemsFailed
        self.checkpoint = checkpoint
        self.attempts = attempts
        self.pauseReason = pauseReason
        self.lastError = lastError
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.completedAt = completedAt
    }

    /// How far the phase is, 0…1, as the progress formula counts it: 1 when completed,
    /// processed/total while running, paused or failed (0 while total is unknown), and 0
    /// when not started.
    public var fraction: Double {
        switch status {
        case .completed: return 1
        case .notStarted: return 0
        case .running, .paused, .failed:
            guard let total, total > 0 else { return 0 }
            return min(1, Double(processed) / Double(total))
        }
    }
}
