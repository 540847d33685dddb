import Testing
@testable import IngestCore

/// Overall progress: Σ weightᵢ × fractionᵢ.
struct ProgressTests {
    // MARK: The fraction of one phase

    @Test func completedCountsAsOneWhateverItsCounters() {
        #expect(PhaseState(status: .completed).fraction == 1)
        #expect(PhaseState(status: .completed, processed: 3, total: 10).fraction == 1)
        #expect(PhaseState(status: .completed, processed: 0, total: 0).fraction == 1)
    }

    @Test func notStartedCountsAsZeroWhateverItsCounters() {
        #expect(PhaseState(status: .notStarted).fraction == 0)
        #expect(PhaseState(status: .notStarted, processed: 5, total: 10).fraction == 0)
    }

    @Test(arguments: [PhaseStatus.running, .paused, .failed])
    func activeOrFailedCountsProcessedOverTotal(status: PhaseStatus) {
        #expect(PhaseState(status: status, processed: 0, total: 8).fraction == 0)
        #expect(PhaseState(status: status, processed: 1, total: 4).fraction == 0.25)
        #expect(PhaseState(status: status, processed: 3, total: 8).fraction == 0.375)
        #expect(PhaseState(status: status, processed: 8, total: 8).fraction == 1)
        #expect(PhaseState(status: status, processed: 1, total: 1).fraction == 1)
        #expect(isClose(PhaseState(status: status, processed: 1, total: 3).fraction, 1.0 / 3.0))
    }

    @Test(arguments: [PhaseStatus.running, .paused, .failed])
    func unknownOrZeroTotalCountsAsZero(status: PhaseStatus) {
        #expect(PhaseState(status: status, processed: 0, total: nil).fraction == 0)
        #expect(PhaseState(status: status, processed: 42, total: nil).fraction == 0)
        #expect(PhaseState(status: status, processed: 0, total: 0).fraction == 0)
        #expect(PhaseState(status: status, processed: 7, total: 0).fraction == 0)
    }

    @Test func moreProcessedThanTotalNeverExceedsOne() {
        #expect(PhaseState(status: .running, processed: 12, total: 10).fraction == 1)
    }

    // MARK: The default plan

    @Test func defaultPlanWeighsEachPhaseAQuarter() {
        let plan = Plan.standard
        #expect(StatusRules.progress(plan: plan, phases: states([.notStarted, .notStarted, .notStarted, .notStarted])) == 0)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .notStarted, .notStarted, .notStarted])) == 0.25)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .completed, .notStarted, .notStarted])) == 0.5)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .completed, .completed, .notStarted])) == 0.75)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .completed, .completed, .completed])) == 1)
    }

    @Test func defaultPlanMixedPhases() {
        // load done (0.25) + chunk 50/200 (0.25 × 0.25) + embed paused, total unknown (0) + index not started (0)
        let phases = [
            PhaseState(status: .completed, processed: 10, total: 10),
            PhaseState(status: .running, processed: 50, total: 200),
            PhaseState(status: .paused, processed: 30, total: nil),
            PhaseState(status: .notStarted),
        ]
        #expect(StatusRules.progress(plan: .standard, phases: phases) == 0.3125)
    }

    @Test func defaultPlanWithAFailedPhaseKeepsItsPartialProgress() {
        // load done (0.25) + chunk failed at 30/40 (0.25 × 0.75) + embed running 1/2 (0.25 × 0.5) + index 0
        let phases = [
            PhaseState(status: .completed, processed: 4, total: 4),
            PhaseState(status: .failed, processed: 30, total: 40),
            PhaseState(status: .running, processed: 1, total: 2),
            PhaseState(status: .notStarted),
        ]
        #expect(StatusRules.progress(plan: .standard, phases: phases) == 0.5625)
    }

    @Test func streamingPhasesAllContribute() {
        // Each phase running at 1/2, 1/4, 1/8, 0/16: 0.25 × (0.5 + 0.25 + 0.125 + 0) = 0.21875
        let phases = [
            PhaseState(status: .running, processed: 1, total: 2),
            PhaseState(status: .running, processed: 1, total: 4),
            PhaseState(status: .running, processed: 1, total: 8),
            PhaseState(status: .running, processed: 0, total: 16),
        ]
        #expect(StatusRules.progress(plan: .standard, phases: phases) == 0.21875)
    }

    // MARK: A host's plan

    @Test func customPlanWithUnequalWeights() throws {
        let plan = try Plan(phases: [
            PhaseSpec(name: "fetch", weight: 0.5),
            PhaseSpec(name: "parse", weight: 0.125),
            PhaseSpec(name: "store", weight: 0.375),
        ])
        #expect(StatusRules.progress(plan: plan, phases: states([.notStarted, .notStarted, .notStarted])) == 0)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .notStarted, .notStarted])) == 0.5)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .completed, .notStarted])) == 0.625)
        // 0.5 + 0.125 × 3/4 = 0.59375
        let parsing = [
            PhaseState(status: .completed),
            PhaseState(status: .running, processed: 3, total: 4),
            PhaseState(status: .notStarted),
        ]
        #expect(StatusRules.progress(plan: plan, phases: parsing) == 0.59375)
        // 0.5 + 0.125 + 0.375 × 1/2 = 0.8125
        let storing = [
            PhaseState(status: .completed),
            PhaseState(status: .completed),
            PhaseState(status: .paused, processed: 5, total: 10, pauseReason: .budget),
        ]
        #expect(StatusRules.progress(plan: plan, phases: storing) == 0.8125)
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .completed, .completed])) == 1)
    }

    @Test func customPlanWithDecimalWeights() throws {
        let plan = try Plan(phases: [
            PhaseSpec(name: "a", weight: 0.1),
            PhaseSpec(name: "b", weight: 0.2),
            PhaseSpec(name: "c", weight: 0.3),
            PhaseSpec(name: "d", weight: 0.4),
        ])
        // 0.1 + 0.2 + 0.3 × 1/3 + 0.4 × 1/2 = 0.6
        let phases = [
            PhaseState(status: .completed),
            PhaseState(status: .completed),
            PhaseState(status: .failed, processed: 1, total: 3),
            PhaseState(status: .running, processed: 2, total: 4),
        ]
        #expect(isClose(StatusRules.progress(plan: plan, phases: phases), 0.6))
        // Only the heaviest phase done: 0.4.
        #expect(isClose(StatusRules.progress(plan: plan, phases: states([.notStarted, .notStarted, .notStarted, .completed])), 0.4))
    }

    @Test func aZeroWeightPhaseAddsNothing() throws {
        let plan = try Plan(phases: [PhaseSpec(name: "work", weight: 1), PhaseSpec(name: "notify", weight: 0)])
        #expect(StatusRules.progress(plan: plan, phases: states([.completed, .notStarted])) == 1)
        #expect(StatusRules.progress(plan: plan, phases: states([.running, .completed])) == 0)
    }

    @Test func progressStaysWithinZeroAndOneEvenWithOvercountedPhases() {
        for statuses in allStatusSequences(length: 4) {
            let phases = statuses.map { PhaseState(status: $0, processed: 7, total: 5) }
            let progress = StatusRules.progress(plan: .standard, phases: phases)
            #expect(progress >= 0 && progress <= 1, "\(statuses)")
        }
    }
}
