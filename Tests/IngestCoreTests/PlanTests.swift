import Testing
@testable import IngestCore

/// Plan validation and the standard plan.
struct PlanTests {
    @Test func standardIsLoadChunkEmbedIndexAtAQuarterEach() {
        let plan = Plan.standard
        #expect(plan.phases.map(\.name) == ["load", "chunk", "embed", "index"])
        #expect(plan.phases.map(\.weight) == [0.25, 0.25, 0.25, 0.25])
        #expect(plan.count == 4)
        #expect(plan.ordinal(of: "load") == 0)
        #expect(plan.ordinal(of: "index") == 3)
        #expect(plan.ordinal(of: "Load") == nil)
        #expect(plan.ordinal(of: "store") == nil)
    }

    @Test func standardPassesItsOwnValidation() throws {
        #expect(try Plan(phases: Plan.standard.phases) == Plan.standard)
        #expect(try Plan(equallyWeighted: ["load", "chunk", "embed", "index"]) == Plan.standard)
    }

    @Test func aValidHostPlanKeepsItsPhasesInOrder() throws {
        let phases = [PhaseSpec(name: "fetch", weight: 0.75), PhaseSpec(name: "store_2", weight: 0.25)]
        let plan = try Plan(phases: phases)
        #expect(plan.phases == phases)
        #expect(plan.ordinal(of: "store_2") == 1)
    }

    @Test func anEmptyPlanIsRefused() {
        #expect(throws: PlanError.noPhases) { try Plan(phases: []) }
    }

    @Test func thirtyTwoPhasesAreAllowedAndThirtyThreeAreNot() throws {
        let thirtyTwo = (0..<32).map { PhaseSpec(name: "p\($0)", weight: 1.0 / 32) }
        #expect(try Plan(phases: thirtyTwo).count == 32)
        let thirtyThree = (0..<33).map { PhaseSpec(name: "p\($0)", weight: 1.0 / 33) }
        #expect(throws: PlanError.tooManyPhases(33)) { try Plan(phases: thirtyThree) }
    }

    @Test(arguments: [
        "", "Load", "LOAD", "has space", "a/b", "dot.ted", "tab\t", "caf\u{E9}", "\u{0}",
        String(repeating: "a", count: 33),
    ])
    func badNamesAreRefused(name: String) {
        #expect(throws: PlanError.badName(name)) {
            try Plan(phases: [PhaseSpec(name: name, weight: 0.5), PhaseSpec(name: "other", weight: 0.5)])
        }
    }

    @Test(arguments: ["a", "z9", "load", "snake_case", "kebab-case", "0", "-", "_",
                      String(repeating: "x", count: 32)])
    func goodNamesAreAccepted(name: String) throws {
        let plan = try Plan(phases: [PhaseSpec(name: name, weight: 1)])
        #expect(plan.phases.first?.name == name)
    }

    @Test func duplicateNamesAreRefused() {
        let phases = [
            PhaseSpec(name: "load", weight: 0.25), PhaseSpec(name: "chunk", weight: 0.25),
            PhaseSpec(name: "load", weight: 0.5),
        ]
        let error = #expect(throws: PlanError.duplicateName("load")) { try Plan(phases: phases) }
        #expect(error?.description == "phase name \"load\" appears twice in the plan")
    }

    @Test func aNegativeWeightIsRefused() {
        // The weights sum to 1, so only the sign can be the problem.
        #expect(throws: PlanError.badWeight("b", -0.5)) {
            try Plan(phases: [PhaseSpec(name: "a", weight: 1.5), PhaseSpec(name: "b", weight: -0.5)])
        }
    }

    @Test func aNaNWeightIsRefused() {
        // NaN never equals itself, so compare the message rather than the error.
        let error = #expect(throws: PlanError.self) {
            try Plan(phases: [PhaseSpec(name: "a", weight: 1), PhaseSpec(name: "b", weight: .nan)])
        }
        #expect(error?.description == "phase \"b\" has weight nan; weights must be finite and not negative")
    }

    @Test(arguments: [Double.infinity, -Double.infinity])
    func anInfiniteWeightIsRefused(weight: Double) {
        #expect(throws: PlanError.badWeight("b", weight)) {
            try Plan(phases: [PhaseSpec(name: "a", weight: 1), PhaseSpec(name: "b", weight: weight)])
        }
    }

    @Test(arguments: [[0.5, 0.25], [0.75, 0.5], [0.0, 0.0], [0.5, 0.5 + 1e-8]])
    func weightsThatDoNotSumToOneAreRefused(weights: [Double]) {
        let phases = weights.enumerated().map { PhaseSpec(name: "p\($0.offset)", weight: $0.element) }
        #expect(throws: PlanError.weightsDoNotSumToOne(weights.reduce(0, +))) { try Plan(phases: phases) }
    }

    @Test func weightsWithinRoundingOfOneAreAccepted() throws {
        // 0.1 + 0.2 + 0.3 + 0.4 is 1.0000000000000002 in binary floating point.
        let plan = try Plan(phases: [
            PhaseSpec(name: "a", weight: 0.1), PhaseSpec(name: "b", weight: 0.2),
            PhaseSpec(name: "c", weight: 0.3), PhaseSpec(name: "d", weight: 0.4),
        ])
        #expect(plan.count == 4)
    }

    @Test(arguments: [1, 3, 7, 10, 32])
    func equallyWeightedSplitsOneEvenly(count: Int) throws {
        let names = (0..<count).map { "phase-\($0)" }
        let plan = try Plan(equallyWeighted: names)
        #expect(plan.phases.map(\.name) == names)
        for phase in plan.phases {
            #expect(isClose(phase.weight, 1 / Double(count)))
        }
        #expect(isClose(plan.phases.reduce(0) { $0 + $1.weight }, 1, tolerance: 1e-9))
    }

    @Test func equallyWeightedRefusesWhatThePlanRefuses() {
        #expect(throws: PlanError.noPhases) { try Plan(equallyWeighted: []) }
        #expect(throws: PlanError.duplicateName("a")) { try Plan(equallyWeighted: ["a", "b", "a"]) }
        #expect(throws: PlanError.badName("B")) { try Plan(equallyWeighted: ["a", "B"]) }
        #expect(throws: PlanError.tooManyPhases(33)) { try Plan(equallyWeighted: (0..<33).map { "p\($0)" }) }
    }
}
