/// The legal moves of a phase's status, and the rules that tie a phase to its predecessor.
///
/// Legal: `not_started→running`, `not_started→paused` (held before it starts),
/// `running→paused|completed|failed`, `paused→running|failed`, `failed→running` (retry).
/// A phase may start once its predecessor has started (streaming), but may complete only
/// after its predecessor completed and it has processed its whole known total.
public enum Transitions {
    /// Whether the status table allows `from → to`, regardless of neighbours.
    public static func isAllowed(from: PhaseStatus, to: PhaseStatus) -> Bool {
        switch (from, to) {
        case (.notStarted, .running), (.notStarted, .paused): true
        case (.running, .paused), (.running, .completed), (.running, .failed): true
        case (.paused, .running), (.paused, .failed): true
        case (.failed, .running): true
        default: false
        }
    }

    /// Checks that phase `ordinal` may move to `target`.
    /// - Parameters:
    ///   - plan: The job's plan, for phase names.
    ///   - phases: The job's current phase states, in plan order.
    ///   - ordinal: The phase to move.
    ///   - target: The status it should move to.
    ///   - reason: The pause reason; required for `.paused` and refused otherwise.
    /// - Throws: `TransitionError` saying which rule refused it.
    public static func check(
        plan: Plan, phases: [PhaseState], ordinal: Int, to target: PhaseStatus, reason: PauseReason?
    ) throws(TransitionError) {
        guard phases.indices.contains(ordinal), ordinal < plan.count else {
            throw .init(.noSuchPhase(ordinal))
        }
        let name = plan.phases[ordinal].name
        let current = phases[ordinal]
        guard isAllowed(from: current.status, to: target) else {
            throw .init(.illegal(phase: name, from: current.status, to: target))
        }
        if target == .paused, reason == nil { throw .init(.pauseNeedsReason(phase: name)) }
        if target != .paused, reason != nil { throw .init(.reasonWithoutPause(phase: name)) }
        guard ordinal > 0 else {
            if target == .completed { try checkConsumed(name, current) }
            return
        }
        let predecessor = phases[ordinal - 1]
        let predecessorName = plan.phases[ordinal - 1].name
        // A phase that has never run (not started, or held before it started) needs a
        // predecessor that has started; a phase resuming its own work does not.
        // `attempts` counts starts, so 0 means never started — with or without a clock.
        let neverStarted = current.status == .notStarted || current.attempts == 0
        let predecessorStarted = predecessor.status == .running || predecessor.status == .completed
            || (predecessor.status == .paused && predecessor.attempts > 0)
        if neverStarted, target == .running, !predecessorStarted {
            throw .init(.predecessorNotStarted(phase: name, predecessor: predecessorName, status: predecessor.status))
        }
        if target == .completed {
            guard predecessor.status == .completed else {
                throw .init(.predecessorNotCompleted(phase: name, predecessor: predecessorName, status: predecessor.status))
            }
            try checkConsumed(name, current)
        }
    }

    private static func checkConsumed(_ name: String, _ state: PhaseState) throws(TransitionError) {
        if let total = state.total, state.processed < total {
            throw .init(.inputNotConsumed(phase: name, processed: state.processed, total: total))
        }
    }

    /// The phase's state after a checked move to `target` at time `now`.
    ///
    /// Starting from not started and retrying from failed count as attempts; resuming a
    /// paused phase does not. A completed phase with an unknown total takes its processed
    /// count as its total.
    public static func applying(
        _ target: PhaseStatus, to state: PhaseState, reason: PauseReason?, error: String?, at now: Timestamp
    ) -> PhaseState {
        var next = state
        // The first run of a phase (also one held before it started) and a retry count as
        // attempts; resuming paused work does not.
        if target == .running, state.status == .notStarted || state.status == .failed || state.attempts == 0 {
            next.attempts &+= 1
        }
        if target == .running, next.startedAt == nil { next.startedAt = now }
        next.status = target
        next.pauseReason = target == .paused ? reason : nil
        if let error { next.lastError = error }
        if target == .completed {
            next.completedAt = now
            if next.total == nil { next.total = next.processed }
        }
        next.updatedAt = now
        return next
    }
}

/// Why a phase may not make the move asked for. Nothing is written when this is thrown.
public struct TransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Equatable, Sendable {
        case noSuchPhase(Int)
        case illegal(phase: String, from: PhaseStatus, to: PhaseStatus)
        case pauseNeedsReason(phase: String)
        case reasonWithoutPause(phase: String)
        case predecessorNotStarted(phase: String, predecessor: String, status: PhaseStatus)
        case predecessorNotCompleted(phase: String, predecessor: String, status: PhaseStatus)
        case inputNotConsumed(phase: String, processed: UInt64, total: UInt64)
        case notRunning(phase: String, status: PhaseStatus)
        case jobIsTerminal(status: JobStatus, action: String)
    }

    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// `phase` is not in the status `from` that the operation needs, so it cannot go to `to`.
    public static func illegal(phase: String, from: PhaseStatus, to: PhaseStatus) -> TransitionError {
        .init(.illegal(phase: phase, from: from, to: to))
    }

    /// Progress can be recorded only for a running phase.
    public static func notRunning(phase: String, status: PhaseStatus) -> TransitionError {
        .init(.notRunning(phase: phase, status: status))
    }

    /// A job-wide action (pause, resume) that a completed or failed job cannot take.
    public static func jobIsTerminal(status: JobStatus, action: String) -> TransitionError {
        .init(.jobIsTerminal(status: status, action: action))
    }

    /// The phase's status before the refused move, when the status table refused it.
    public var from: PhaseStatus? {
        if case .illegal(_, let from, _) = kind { return from }
        return nil
    }

    /// The status the refused move aimed at, when the status table refused it.
    public var to: PhaseStatus? {
        if case .illegal(_, _, let to) = kind { return to }
        return nil
    }

    /// Which rule refused the move, for a person.
    public var description: String {
        switch kind {
        case .noSuchPhase(let ordinal):
            "the plan has no phase #\(ordinal)"
        case .illegal(let phase, let from, let to):
            "phase \(phase) cannot go from \(from) to \(to)"
        case .pauseNeedsReason(let phase):
            "pausing phase \(phase) needs a reason"
        case .reasonWithoutPause(let phase):
            "phase \(phase): a pause reason goes only with a pause"
        case .predecessorNotStarted(let phase, let predecessor, let status):
            "phase \(phase) cannot start while \(predecessor) is \(status)"
        case .predecessorNotCompleted(let phase, let predecessor, let status):
            "phase \(phase) cannot complete while \(predecessor) is \(status)"
        case .inputNotConsumed(let phase, let processed, let total):
            "phase \(phase) cannot complete with \(processed) of \(total) items processed"
        case .notRunning(let phase, let status):
            "phase \(phase) is \(status), not running; progress goes only to a running or paused phase"
        case .jobIsTerminal(let status, let action):
            status == .failed
                ? "the job has failed; there is nothing to \(action) — `ingest retry` restarts it"
                : "the job is \(status); there is nothing to \(action)"
        }
    }
}
