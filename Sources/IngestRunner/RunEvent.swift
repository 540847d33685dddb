public import IngestCore

/// What a run reports as it goes, for progress lines, logs and metrics.
public enum RunEvent: Sendable {
    /// A job was claimed and starts or resumes.
    case jobStarted(JobID, source: String)
    /// A group commit landed: each phase's progress after it.
    case progress(JobID, [PhaseProgress])
    /// A phase completed.
    case phaseCompleted(JobID, phase: String)
    /// The job's run ended.
    case jobFinished(JobID, JobOutcome)
}

/// One phase's progress as of the last group commit.
public struct PhaseProgress: Sendable, Hashable {
    /// The phase's name in the plan.
    public let name: String
    /// The phase's status.
    public let status: PhaseStatus
    /// Items the phase has finished, done or failed, over all runs.
    public let processed: UInt64
    /// Items the phase will process; `nil` while unknown. The runner sets it when the phase
    /// before completes (the first phase's when the phase itself completes).
    public let total: UInt64?
    /// Items that failed and were skipped, over all runs.
    public let itemsFailed: UInt64
    /// Items committed in this run so far (for a rate).
    public let processedThisRun: UInt64
}

/// How a job's run ended.
public enum JobOutcome: Sendable, Equatable {
    /// Every phase completed.
    case completed
    /// A phase failed; `error` says why. ``/IngestStore/JobStore/retryFailedPhases(_:)`` runs it again.
    case failed(phase: String, error: String)
    /// The run stopped before the job finished; the phases are paused with this reason, and
    /// the next run resumes them unless the reason is `user`.
    case paused(PauseReason)
    /// Another runner held it, or the user held it, before this run could start.
    case skipped(String)
}
