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
    public let name: String
    public let status: PhaseStatus
    public let processed: UInt64
    public let total: UInt64?
    public let itemsFailed: UInt64
    /// Items committed in this run so far (for a rate).
    public let processedThisRun: UInt64
}

/// How a job's run ended.
public enum JobOutcome: Sendable, Equatable {
    case completed
    case failed(phase: String, error: String)
    case paused(PauseReason)
    /// Another runner held it, or the user held it, before this run could start.
    case skipped(String)
}
