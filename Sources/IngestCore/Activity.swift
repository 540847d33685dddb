/// What is happening to a job right now, shown next to its status. It comes from the
/// lease and the hold flag, not from the phases, so it is not part of the status.
public enum Activity: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A live runner holds the job's lease.
    case active
    /// Started, not terminal, not held, and no live runner: the next run resumes it.
    case interrupted
    /// Never started, not held, and no live runner: the next run starts it.
    case queued
    /// Paused by the user; waits for `ingest resume`.
    case held
    /// Completed or failed: nothing will happen until a retry.
    case idle

    /// The spelling used in output and JSON.
    public var description: String { rawValue }

    /// Decides the activity from the facts that make it up.
    /// - Parameters:
    ///   - status: The job's derived status.
    ///   - held: Whether the user paused the job.
    ///   - leasedByLiveRunner: Whether a running process holds the job's lease.
    public static func of(status: JobStatus, held: Bool, leasedByLiveRunner: Bool) -> Activity {
        if status.isTerminal { return .idle }
        if leasedByLiveRunner { return .active }
        if held { return .held }
        return status == .pending ? .queued : .interrupted
    }
}
