/// Where one phase of a job stands.
///
/// The raw value is the byte stored on disk; never reorder the cases.
public enum PhaseStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// No work done yet (`not_started`).
    case notStarted = 0
    /// A runner works on it, or will resume it: it was started and is not paused.
    case running = 1
    /// Stopped with a ``PauseReason``; resumes from its checkpoint.
    case paused = 2
    /// Every item processed; terminal.
    case completed = 3
    /// Stopped by an error; a retry sets it running again from its checkpoint.
    case failed = 4

    /// The spelling used in output and JSON: `not_started`, `running`, …
    public var description: String {
        switch self {
        case .notStarted: "not_started"
        case .running: "running"
        case .paused: "paused"
        case .completed: "completed"
        case .failed: "failed"
        }
    }

    /// Parses the spelling used in output; `nil` for anything else.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    /// Running or paused: the phase has work in hand.
    public var isActive: Bool { self == .running || self == .paused }
}
