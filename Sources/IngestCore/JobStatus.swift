/// A job's status. It is always derived from the phase statuses (see `StatusRules`) and is
/// never stored on its own or set by hand.
///
/// The raw value is the byte that leads the job's key in the `by_status` index.
public enum JobStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// No phase has started.
    case pending = 0
    /// Neither pending, completed nor failed: some phase is running, paused or completed.
    case running = 1
    /// Every phase completed.
    case completed = 2
    /// A phase failed.
    case failed = 3

    /// The spelling used in output and JSON.
    public var description: String {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .completed: "completed"
        case .failed: "failed"
        }
    }

    /// Parses the spelling used in output; `nil` for anything else.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    /// Completed or failed: no runner will pick the job up without a retry.
    public var isTerminal: Bool { self == .completed || self == .failed }
}
