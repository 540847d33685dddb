import Testing
@testable import IngestCore

/// The job-status table of DESIGN.md, one test per rule, then a sweep of every combination.
struct JobStatusRuleTests {
    // MARK: Rule 1: any phase failed → failed

    @Test(arguments: [
        [PhaseStatus.failed, .notStarted, .notStarted, .notStarted],
        [.completed, .completed, .completed, .failed],
        [.completed, .failed, .notStarted, .notStarted],
        [.failed, .failed, .failed, .failed],
    ])
    func anyFailedPhaseFailsTheJob(statuses: [PhaseStatus]) {
        #expect(StatusRules.jobStatus(of: statuses) == .failed)
    }

    @Test func failedWinsOverRunning() {
        #expect(StatusRules.jobStatus(of: [.completed, .failed, .running, .notStarted]) == .failed)
        #expect(StatusRules.jobStatus(of: [.running, .running, .running, .failed]) == .failed)
    }

    @Test func failedWinsOverPaused() {
        #expect(StatusRules.jobStatus(of: [.paused, .failed, .notStarted, .notStarted]) == .failed)
    }

    @Test func failedWinsOverAllOthersCompleted() {
        // "All completed" is the second rule; one failed phase must still decide it.
        #expect(StatusRules.jobStatus(of: [.completed, .completed, .failed, .completed]) == .failed)
    }

    // MARK: Rule 2: all phases completed → completed

    @Test func allCompletedCompletesTheJob() {
        #expect(StatusRules.jobStatus(of: [PhaseStatus](repeating: .completed, count: 4)) == .completed)
        #expect(StatusRules.jobStatus(of: [PhaseStatus.completed]) == .completed)
    }

    @Test func allButOneCompletedIsNotCompleted() {
        #expect(StatusRules.jobStatus(of: [.completed, .completed, .completed, .running]) == .running)
        #expect(StatusRules.jobStatus(of: [.completed, .completed, .completed, .notStarted]) == .running)
    }

    // MARK: Rule 3: any phase running or paused → running

    @Test(arguments: [PhaseStatus.running, .paused])
    func anActivePhaseMakesTheJobRunning(active: PhaseStatus) {
        #expect(StatusRules.jobStatus(of: [active, .notStarted, .notStarted, .notStarted]) == .running)
        #expect(StatusRules.jobStatus(of: [.completed, .completed, .completed, active]) == .running)
        #expect(StatusRules.jobStatus(of: [.completed, active, .notStarted, .notStarted]) == .running)
        #expect(StatusRules.jobStatus(of: [active, active, active, active]) == .running)
    }

    @Test func allPausedIsRunningNotPending() {
        // A job held by the user before it started is paused in every phase, not pending.
        #expect(StatusRules.jobStatus(of: [PhaseStatus](repeating: .paused, count: 4)) == .running)
    }

    // MARK: Rule 4: all phases not started → pending

    @Test func allNotStartedIsPending() {
        #expect(StatusRules.jobStatus(of: [PhaseStatus](repeating: .notStarted, count: 4)) == .pending)
        #expect(StatusRules.jobStatus(of: [PhaseStatus.notStarted]) == .pending)
    }

    // MARK: Rule 5: otherwise (some completed, the rest not started) → running

    @Test(arguments: [
        [PhaseStatus.completed, .notStarted, .notStarted, .notStarted],
        [.completed, .completed, .notStarted, .notStarted],
        [.completed, .completed, .completed, .notStarted],
        // Not in plan order: the rule counts statuses, not positions.
        [.notStarted, .completed, .notStarted, .completed],
    ])
    func someCompletedRestNotStartedIsRunning(statuses: [PhaseStatus]) {
        #expect(StatusRules.jobStatus(of: statuses) == .running)
    }

    @Test func jobStatusAcceptsAnySequence() {
        let phases = [PhaseState(status: .completed), PhaseState(status: .paused)]
        #expect(StatusRules.jobStatus(of: phases.lazy.map(\.status)) == .running)
        #expect(StatusRules.jobStatus(of: Set([PhaseStatus.completed])) == .completed)
    }

    // MARK: The sweep

    /// The table of DESIGN.md, written over the *set* of statuses present, so that it shares
    /// no code or shape with `StatusRules`.
    static func expectedJobStatus(_ statuses: [PhaseStatus]) -> JobStatus {
        let present = Set(statuses)
        if present.contains(.failed) { return .failed }
        if present == [.completed] { return .completed }
        if !present.isDisjoint(with: [.running, .paused]) { return .running }
        if present == [.notStarted] { return .pending }
        // The last rule covers only "some completed, the rest not started".
        precondition(present == [.completed, .notStarted], "the table has a gap at \(statuses)")
        return .running
    }

    /// The current-phase rule, written as a plain scan.
    static func expectedCurrentPhase(_ statuses: [PhaseStatus]) -> Int? {
        var index = 0
        while index < statuses.count {
            if statuses[index] == .running || statuses[index] == .paused { return index }
            index += 1
        }
        index = 0
        while index < statuses.count {
            if statuses[index] != .completed { return index }
            index += 1
        }
        return nil
    }

    @Test(arguments: allStatusSequences(length: 4))
    func everyCombinationOfFourPhases(statuses: [PhaseStatus]) {
        #expect(StatusRules.jobStatus(of: statuses) == Self.expectedJobStatus(statuses))
        #expect(StatusRules.currentPhase(of: statuses) == Self.expectedCurrentPhase(statuses))
    }

    @Test func sweepCoversAll625CombinationsAndEveryJobStatus() {
        let all = allStatusSequences(length: 4)
        #expect(all.count == 625)
        #expect(Set(all).count == 625)
        let seen = Set(all.map { StatusRules.jobStatus(of: $0) })
        #expect(seen == Set(JobStatus.allCases))
    }

    @Test(arguments: [1, 2, 3, 5])
    func everyCombinationOfOtherPlanLengths(length: Int) {
        for statuses in allStatusSequences(length: length) {
            #expect(StatusRules.jobStatus(of: statuses) == Self.expectedJobStatus(statuses), "\(statuses)")
            #expect(StatusRules.currentPhase(of: statuses) == Self.expectedCurrentPhase(statuses), "\(statuses)")
        }
    }
}

/// The current-phase rule, one test per clause.
struct CurrentPhaseTests {
    @Test func firstRunningPhaseIsCurrent() {
        #expect(StatusRules.currentPhase(of: [.completed, .running, .notStarted, .notStarted]) == 1)
        // Streaming: two phases run at once; the first one is current.
        #expect(StatusRules.currentPhase(of: [.completed, .running, .running, .notStarted]) == 1)
    }

    @Test func firstPausedPhaseIsCurrent() {
        #expect(StatusRules.currentPhase(of: [.completed, .completed, .paused, .notStarted]) == 2)
        #expect(StatusRules.currentPhase(of: [.paused, .running, .notStarted, .notStarted]) == 0)
    }

    @Test func anActivePhaseWinsOverAnEarlierUnfinishedOne() {
        // A failed or not-started phase before an active one does not make it current.
        #expect(StatusRules.currentPhase(of: [.failed, .running, .notStarted, .notStarted]) == 1)
        #expect(StatusRules.currentPhase(of: [.notStarted, .notStarted, .paused, .notStarted]) == 2)
    }

    @Test func withoutActivePhasesTheFirstNotCompletedIsCurrent() {
        #expect(StatusRules.currentPhase(of: [.notStarted, .notStarted, .notStarted, .notStarted]) == 0)
        #expect(StatusRules.currentPhase(of: [.completed, .completed, .notStarted, .notStarted]) == 2)
        #expect(StatusRules.currentPhase(of: [.completed, .failed, .notStarted, .notStarted]) == 1)
        #expect(StatusRules.currentPhase(of: [.completed, .completed, .completed, .failed]) == 3)
    }

    @Test func allCompletedHasNoCurrentPhase() {
        #expect(StatusRules.currentPhase(of: [PhaseStatus](repeating: .completed, count: 4)) == nil)
        #expect(StatusRules.currentPhase(of: [.completed]) == nil)
    }
}
