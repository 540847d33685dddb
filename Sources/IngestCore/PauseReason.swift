/// Why a phase is paused. The runner resumes every paused phase on its next run except
/// those paused by the user, which wait for an explicit resume.
///
/// The raw value is stored on disk; `0` means "no reason" and is not a case.
public enum PauseReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// `ingest pause`: held until `ingest resume`.
    case user = 1
    /// SIGTERM or SIGINT stopped the runner.
    case shutdown = 2
    /// The run's time budget ran out.
    case budget = 3
    /// The disk or the store's maximum size is full.
    case diskFull = 4
    /// The box runs on battery (`--pause-on-battery`).
    case onBattery = 5

    /// The spelling used in output and JSON.
    public var description: String {
        switch self {
        case .user: "user"
        case .shutdown: "shutdown"
        case .budget: "budget"
        case .diskFull: "disk_full"
        case .onBattery: "on_battery"
        }
    }

    /// Parses the spelling used in output; `nil` for anything else.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    /// Whether a runner may resume a phase paused for this reason without being told.
    public var resumesAutomatically: Bool { self != .user }
}
