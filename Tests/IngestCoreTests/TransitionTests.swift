import Testing
@testable import IngestCore

/// A move of one phase's status.
struct Move: Hashable, Sendable, CustomStringConvertible {
    let from: PhaseStatus
    let to: PhaseStatus
    var description: String { "\(from)→\(to)" }
}

/// The legal moves as DESIGN.md lists them.
let legalMoves: Set<Move> = [
    Move(from: .notStarted, to: .running),
    Move(from: .notStarted, to: .paused),
    Move(from: .running, to: .paused),
    Move(from: .running, to: .completed),
    Move(from: .running, to: .failed),
    Move(from: .paused, to: .running),
    Move(from: .paused, to: .failed),
    Move(from: .failed, to: .running),
]

/// The status table: all 25 pairs.
struct TransitionTableTests {
    static let onePhase = try! Plan(phases: [PhaseSpec(name: "only", weight: 1)])

    @Test func theLegalListHasEightMoves() {
        #expect(legalMoves.count == 8)
        // Nothing leaves completed, nothing goes back to not started, no move stays put.
        #expect(!legalMoves.contains { $0.from == .completed })
        #expect(!legalMoves.contains { $0.to == .notStarted })
        #expect(!legalMoves.contains { $0.from == $0.to })
    }

    @Test(arguments: PhaseStatus.allCases, PhaseStatus.allCases)
    func isAllowedMatchesTheDesign(from: PhaseStatus, to: PhaseStatus) {
        #expect(Transitions.isAllowed(from: from, to: to) == legalMoves.contains(Move(from: from, to: to)))
    }

    @Test(arguments: PhaseStatus.allCases, PhaseStatus.allCases)
    func checkRefusesExactlyTheIllegalMovesOfTheFirstPhase(from: PhaseStatus, to: PhaseStatus) {
        let phases = [phase(from)]
        let reason: PauseReason? = to == .paused ? .user : nil
        if legalMoves.contains(Move(from: from, to: to)) {
            #expect(throws: Never.self) {
                try Transitions.check(plan: Self.onePhase, phases: phases, ordinal: 0, to: to, reason: reason)
            }
        } else {
            let error = #expect(throws: TransitionError.self) {
                try Transitions.check(plan: Self.onePhase, phases: phases, ordinal: 0, to: to, reason: reason)
            }
            #expect(error == .illegal(phase: "only", from: from, to: to))
            #expect(error?.from == from)
            #expect(error?.to == to)
        }
    }

    @Test(arguments: PhaseStatus.allCases, PhaseStatus.allCases)
    func checkRefusesExactlyTheIllegalMovesOfALaterPhase(from: PhaseStatus, to: PhaseStatus) {
        // load completed, so no predecessor rule stands in the way of chunk.
        let phases = [
            phase(.completed, processed: 3, total: 3),
            phase(from),
            phase(.notStarted),
            phase(.notStarted),
        ]
        let reason: PauseReason? = to == .paused ? .shutdown : nil
        if legalMoves.contains(Move(from: from, to: to)) {
            #expect(throws: Never.self) {
                try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: to, reason: reason)
            }
        } else {
            #expect(throws: TransitionError.illegal(phase: "chunk", from: from, to: to)) {
                try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: to, reason: reason)
            }
        }
    }

    @Test func illegalErrorNamesPhaseAndStatuses() {
        let error = TransitionError.illegal(phase: "embed", from: .completed, to: .running)
        #expect(error.description == "phase embed cannot go from completed to running")
    }

    @Test(arguments: [-1, 1, 4])
    func anOrdinalOutsideThePlanIsRefused(ordinal: Int) {
        let plan = ordinal == 4 ? Plan.standard : Self.onePhase
        let phases = states([PhaseStatus](repeating: .notStarted, count: plan.count))
        #expect(throws: TransitionError(.noSuchPhase(ordinal))) {
            try Transitions.check(plan: plan, phases: phases, ordinal: ordinal, to: .running, reason: nil)
        }
    }

    @Test func anOrdinalMissingFromThePhaseStatesIsRefused() {
        // The plan has four phases but only two states were passed.
        let phases = states([.completed, .running])
        #expect(throws: TransitionError(.noSuchPhase(2))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 2, to: .running, reason: nil)
        }
    }
}

/// The rules that tie a phase to its predecessor.
struct PredecessorRuleTests {
    static func job(_ statuses: [PhaseStatus]) -> [PhaseState] {
        statuses.map { status in
            switch status {
            case .paused: phase(.paused, processed: 1, total: 4)
            case .notStarted: phase(.notStarted)
            default: phase(status, processed: 4, total: 4)
            }
        }
    }

    @Test(arguments: [PhaseStatus.running, .paused, .completed])
    func aPhaseMayStartOnceItsPredecessorHasStarted(predecessor: PhaseStatus) {
        let phases = Self.job([.completed, predecessor, .notStarted, .notStarted])
        #expect(throws: Never.self) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 2, to: .running, reason: nil)
        }
    }

    @Test func aPhaseMayNotStartBeforeItsPredecessor() {
        let phases = Self.job([.notStarted, .notStarted, .notStarted, .notStarted])
        let expected = TransitionError(.predecessorNotStarted(phase: "chunk", predecessor: "load", status: .notStarted))
        let error = #expect(throws: expected) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: .running, reason: nil)
        }
        #expect(error?.description == "phase chunk cannot start while load is not_started")
    }

    @Test func onlyTheImmediatePredecessorCounts() {
        // load runs, chunk has not started: embed may not start even though load has.
        let phases = Self.job([.running, .notStarted, .notStarted, .notStarted])
        #expect(throws: TransitionError(.predecessorNotStarted(phase: "embed", predecessor: "chunk", status: .notStarted))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 2, to: .running, reason: nil)
        }
    }

    @Test func aPhaseMayNotStartAfterAFailedPredecessor() {
        // The model refuses this too: the job has failed, and the predecessor must be retried first.
        let phases = Self.job([.failed, .notStarted, .notStarted, .notStarted])
        #expect(throws: TransitionError(.predecessorNotStarted(phase: "chunk", predecessor: "load", status: .failed))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: .running, reason: nil)
        }
    }

    @Test func theFirstPhaseMayAlwaysStart() {
        #expect(throws: Never.self) {
            try Transitions.check(plan: .standard, phases: Self.job([.notStarted, .notStarted, .notStarted, .notStarted]),
                                  ordinal: 0, to: .running, reason: nil)
        }
    }

    @Test func aPhaseMayBeHeldBeforeItsPredecessorStarts() {
        // `ingest pause` on a pending job: every phase may be held before it starts.
        let phases = Self.job([.notStarted, .notStarted, .notStarted, .notStarted])
        for ordinal in 0..<4 {
            #expect(throws: Never.self) {
                try Transitions.check(plan: .standard, phases: phases, ordinal: ordinal, to: .paused, reason: .user)
            }
        }
    }

    @Test func aPhaseMayCompleteAfterItsPredecessorCompleted() {
        let phases = Self.job([.completed, .running, .notStarted, .notStarted])
        #expect(throws: Never.self) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: .completed, reason: nil)
        }
    }

    @Test(arguments: [PhaseStatus.running, .paused, .failed])
    func aPhaseMayNotCompleteBeforeItsPredecessorCompleted(predecessor: PhaseStatus) {
        let phases = Self.job([.completed, predecessor, .running, .notStarted])
        let expected = TransitionError(.predecessorNotCompleted(phase: "embed", predecessor: "chunk", status: predecessor))
        #expect(throws: expected) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 2, to: .completed, reason: nil)
        }
    }

    @Test func aPhaseMayNotCompleteWithUnprocessedInput() {
        let phases = [
            phase(.completed, processed: 10, total: 10),
            phase(.running, processed: 9, total: 10),
            phase(.notStarted),
            phase(.notStarted),
        ]
        let error = #expect(throws: TransitionError(.inputNotConsumed(phase: "chunk", processed: 9, total: 10))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: .completed, reason: nil)
        }
        #expect(error?.description == "phase chunk cannot complete with 9 of 10 items processed")
    }

    @Test func theFirstPhaseMayNotCompleteWithUnprocessedInputEither() {
        let phases = [phase(.running, processed: 0, total: 1)] + states([.notStarted, .notStarted, .notStarted])
        #expect(throws: TransitionError(.inputNotConsumed(phase: "load", processed: 0, total: 1))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 0, to: .completed, reason: nil)
        }
    }

    @Test(arguments: [UInt64?.none, 5])
    func aPhaseMayCompleteWhenAllOrAnUnknownTotalIsProcessed(total: UInt64?) {
        let phases = [
            phase(.completed, processed: 2, total: 2),
            phase(.running, processed: 5, total: total),
            phase(.notStarted),
            phase(.notStarted),
        ]
        #expect(throws: Never.self) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 1, to: .completed, reason: nil)
        }
    }

    /// Known bug: a phase held before it started (`not_started→paused`) can later be
    /// "resumed" (`paused→running`) while its predecessor has still not started, because the
    /// predecessor check looks only at `current.status == .notStarted`.
    @Test func aPhaseHeldBeforeItStartedMayNotBeResumedBeforeItsPredecessorStarts() {
        let plan = Plan.standard
        var phases = states([.notStarted, .notStarted, .notStarted, .notStarted])
        // The user holds the pending job: every phase goes not_started → paused(user).
        for ordinal in phases.indices {
            phases[ordinal] = Transitions.applying(.paused, to: phases[ordinal], reason: .user, error: nil,
                                                   at: Timestamp(millisecondsSince1970: 1_000))
        }
        // Resuming index first would start it before load, chunk and embed have started.
        #expect(throws: TransitionError.self) {
            try Transitions.check(plan: plan, phases: phases, ordinal: 3, to: .running, reason: nil)
        }
        // Resuming load, whose predecessor rule does not apply, is fine.
        #expect(throws: Never.self) {
            try Transitions.check(plan: plan, phases: phases, ordinal: 0, to: .running, reason: nil)
        }
    }
}

/// Pause reasons go with pauses and only with pauses.
struct PauseReasonRuleTests {
    static let running = [phase(.running, processed: 1, total: 2)]
        + states([.notStarted, .notStarted, .notStarted])

    @Test func pausingWithoutAReasonIsRefused() {
        let error = #expect(throws: TransitionError(.pauseNeedsReason(phase: "load"))) {
            try Transitions.check(plan: .standard, phases: Self.running, ordinal: 0, to: .paused, reason: nil)
        }
        #expect(error?.description == "pausing phase load needs a reason")
    }

    @Test func holdingBeforeStartWithoutAReasonIsRefused() {
        #expect(throws: TransitionError(.pauseNeedsReason(phase: "chunk"))) {
            try Transitions.check(plan: .standard, phases: Self.running, ordinal: 1, to: .paused, reason: nil)
        }
    }

    @Test(arguments: PauseReason.allCases)
    func everyReasonMayPause(reason: PauseReason) {
        #expect(throws: Never.self) {
            try Transitions.check(plan: .standard, phases: Self.running, ordinal: 0, to: .paused, reason: reason)
        }
    }

    @Test(arguments: [PhaseStatus.completed, .failed])
    func aReasonWithoutAPauseIsRefused(target: PhaseStatus) {
        let phases = [phase(.running, processed: 2, total: 2)]
            + states([.notStarted, .notStarted, .notStarted])
        #expect(throws: TransitionError(.reasonWithoutPause(phase: "load"))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 0, to: target, reason: .budget)
        }
    }

    @Test func resumingWithAReasonIsRefused() {
        let phases = [phase(.paused, reason: .shutdown)]
            + states([.notStarted, .notStarted, .notStarted])
        #expect(throws: TransitionError(.reasonWithoutPause(phase: "load"))) {
            try Transitions.check(plan: .standard, phases: phases, ordinal: 0, to: .running, reason: .shutdown)
        }
    }
}

/// `Transitions.applying`: the state after a checked move.
struct ApplyingTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_700_000_000_000)
    static let t1 = Timestamp(millisecondsSince1970: 1_700_000_060_000)

    @Test func startingCountsAnAttemptAndStampsTheStart() {
        let next = Transitions.applying(.running, to: PhaseState(), reason: nil, error: nil, at: Self.t0)
        #expect(next.status == .running)
        #expect(next.attempts == 1)
        #expect(next.startedAt == Self.t0)
        #expect(next.updatedAt == Self.t0)
        #expect(next.completedAt == nil)
        #expect(next.pauseReason == nil)
    }

    @Test func resumingIsNotAnAttemptAndKeepsTheStart() {
        let paused = PhaseState(status: .paused, processed: 5, total: 9, attempts: 1, pauseReason: .shutdown,
                                startedAt: Self.t0, updatedAt: Self.t0)
        let next = Transitions.applying(.running, to: paused, reason: nil, error: nil, at: Self.t1)
        #expect(next.status == .running)
        #expect(next.attempts == 1)
        #expect(next.startedAt == Self.t0)
        #expect(next.updatedAt == Self.t1)
        #expect(next.pauseReason == nil)
        #expect(next.processed == 5)
        #expect(next.total == 9)
    }

    @Test func retryingCountsAnAttemptAndKeepsTheLastError() {
        let failed = PhaseState(status: .failed, processed: 3, attempts: 1, lastError: "disk on fire",
                                startedAt: Self.t0, updatedAt: Self.t0)
        let next = Transitions.applying(.running, to: failed, reason: nil, error: nil, at: Self.t1)
        #expect(next.status == .running)
        #expect(next.attempts == 2)
        #expect(next.startedAt == Self.t0)
        #expect(next.lastError == "disk on fire")
        #expect(next.processed == 3)
    }

    @Test(arguments: Array(legalMoves))
    func onlyStartAndRetryCountAnAttempt(move: Move) {
        var before = phase(move.from)
        before.attempts = 3
        let next = Transitions.applying(move.to, to: before, reason: move.to == .paused ? .budget : nil,
                                        error: nil, at: Self.t1)
        let counts = move == Move(from: .notStarted, to: .running) || move == Move(from: .failed, to: .running)
        #expect(next.attempts == (counts ? 4 : 3))
        #expect(next.status == move.to)
        #expect(next.updatedAt == Self.t1)
    }

    @Test(arguments: PauseReason.allCases)
    func pausingRecordsTheReason(reason: PauseReason) {
        let running = PhaseState(status: .running, attempts: 1, startedAt: Self.t0)
        let next = Transitions.applying(.paused, to: running, reason: reason, error: nil, at: Self.t1)
        #expect(next.status == .paused)
        #expect(next.pauseReason == reason)
        #expect(next.attempts == 1)
        #expect(next.completedAt == nil)
    }

    @Test(arguments: [PhaseStatus.running, .failed])
    func leavingPausedClearsTheReason(target: PhaseStatus) {
        let paused = PhaseState(status: .paused, attempts: 1, pauseReason: .user, startedAt: Self.t0)
        let next = Transitions.applying(target, to: paused, reason: nil, error: target == .failed ? "gave up" : nil,
                                        at: Self.t1)
        #expect(next.status == target)
        #expect(next.pauseReason == nil)
    }

    @Test func completingStampsTheEnd() {
        let running = PhaseState(status: .running, processed: 8, total: 8, attempts: 1, startedAt: Self.t0)
        let next = Transitions.applying(.completed, to: running, reason: nil, error: nil, at: Self.t1)
        #expect(next.status == .completed)
        #expect(next.completedAt == Self.t1)
        #expect(next.updatedAt == Self.t1)
        #expect(next.startedAt == Self.t0)
        #expect(next.total == 8)
    }

    @Test func completingWithAnUnknownTotalTakesProcessedAsTotal() {
        let running = PhaseState(status: .running, processed: 17, total: nil, attempts: 1, startedAt: Self.t0)
        let next = Transitions.applying(.completed, to: running, reason: nil, error: nil, at: Self.t1)
        #expect(next.total == 17)
        #expect(next.processed == 17)
    }

    @Test func completingKeepsAKnownTotal() {
        let running = phase(.running, processed: 12, total: 10)
        let next = Transitions.applying(.completed, to: running, reason: nil, error: nil, at: Self.t1)
        #expect(next.total == 10)
        #expect(next.processed == 12)
    }

    @Test func failingRecordsTheErrorAndKeepsTheWork() {
        var running = phase(.running, processed: 4, total: 10)
        running.itemsFailed = 2
        running.checkpoint = [1, 2, 3]
        let next = Transitions.applying(.failed, to: running, reason: nil, error: "too many bad items", at: Self.t1)
        #expect(next.status == .failed)
        #expect(next.lastError == "too many bad items")
        #expect(next.processed == 4)
        #expect(next.total == 10)
        #expect(next.itemsFailed == 2)
        #expect(next.checkpoint == [1, 2, 3])
        #expect(next.completedAt == nil)
        #expect(next.updatedAt == Self.t1)
    }

    @Test func aLifecycleFromStartToCompletion() throws {
        var phase = PhaseState()
        var clock: UInt64 = 1_000
        func move(_ target: PhaseStatus, _ reason: PauseReason? = nil, error: String? = nil) throws {
            try Transitions.check(plan: .standard, phases: [phase] + states([.notStarted, .notStarted, .notStarted]),
                                  ordinal: 0, to: target, reason: reason)
            clock += 1_000
            phase = Transitions.applying(target, to: phase, reason: reason, error: error,
                                         at: Timestamp(millisecondsSince1970: clock))
        }
        try move(.running)
        phase.processed = 3
        try move(.paused, .shutdown)
        #expect(phase.pauseReason == .shutdown)
        try move(.running)
        try move(.failed, error: "source vanished")
        try move(.running)
        phase.processed = 6
        try move(.completed)
        #expect(phase.status == .completed)
        #expect(phase.attempts == 2)
        #expect(phase.startedAt == Timestamp(millisecondsSince1970: 2_000))
        #expect(phase.completedAt == Timestamp(millisecondsSince1970: 7_000))
        #expect(phase.total == 6)
        #expect(phase.pauseReason == nil)
        #expect(phase.lastError == "source vanished")
        #expect(phase.fraction == 1)
    }

    /// Known bug: a phase held before it started and then resumed runs for the first time,
    /// but `applying` counts an attempt only from `not_started` or `failed`, so it runs
    /// with `attempts == 0`.
    @Test func aPhaseHeldBeforeItStartedCountsAnAttemptWhenItFirstRuns() {
        let held = Transitions.applying(.paused, to: PhaseState(), reason: .user, error: nil, at: Self.t0)
        #expect(held.attempts == 0)
        #expect(held.startedAt == nil)
        let running = Transitions.applying(.running, to: held, reason: nil, error: nil, at: Self.t1)
        #expect(running.startedAt == Self.t1)
        #expect(running.attempts == 1)
    }
}
