@testable import IngestCore

/// Every sequence of `length` phase statuses, in a fixed order.
func allStatusSequences(length: Int) -> [[PhaseStatus]] {
    var result: [[PhaseStatus]] = [[]]
    for _ in 0..<length {
        result = result.flatMap { prefix in PhaseStatus.allCases.map { prefix + [$0] } }
    }
    return result
}

/// A phase state as a runner would have left it in `status`: a phase past `not_started`
/// has started once (an attempt and a start time), a paused one has a reason and a
/// completed one an end time.
func phase(_ status: PhaseStatus, processed: UInt64 = 0, total: UInt64? = nil,
           reason: PauseReason = .budget) -> PhaseState {
    guard status != .notStarted else { return PhaseState(processed: processed, total: total) }
    let start = Timestamp(millisecondsSince1970: 1_000)
    return PhaseState(
        status: status, processed: processed, total: total, attempts: 1,
        pauseReason: status == .paused ? reason : nil,
        startedAt: start, updatedAt: start, completedAt: status == .completed ? start : nil
    )
}

/// Phase states with the given statuses, as `phase(_:)` makes them.
func states(_ statuses: [PhaseStatus]) -> [PhaseState] {
    statuses.map { phase($0) }
}

/// Whether two doubles agree to within `tolerance`.
func isClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
    abs(actual - expected) <= tolerance
}
