/// Where one phase of a job stands.
///
/// The raw value is the byte stored on disk; never reorder the cases.
public enum PhaseStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case notStarted = 0
    case running = 1
    case paused = 2
    case completed = 3
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
