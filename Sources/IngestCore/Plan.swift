/// One phase of a plan: its name and its share of the job's overall progress.
public struct PhaseSpec: Sendable, Hashable {
    /// The phase's name: 1 to 32 of `a-z`, `0-9`, `_` and `-`, unique in its plan.
    public let name: String
    /// The phase's share of the job's progress; a plan's weights sum to 1.
    public let weight: Double

    /// A phase; ``Plan/init(phases:)`` checks the name and the weight.
    public init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }
}

/// The ordered phases a job goes through, with weights that sum to 1.
///
/// The built-in pipeline uses `Plan.standard` (load → chunk → embed → index, 0.25 each);
/// a host that embeds the library names its own phases.
public struct Plan: Sendable, Hashable {
    /// The most phases a plan may have: a phase's ordinal is one byte in the store's keys,
    /// and more than this would make no sense for a pipeline.
    public static let maxPhases = 32

    /// The phases, in the order a job goes through them.
    public let phases: [PhaseSpec]

    /// load → chunk → embed → index at 0.25 each.
    public static let standard = Plan(uncheckedPhases: [
        PhaseSpec(name: "load", weight: 0.25),
        PhaseSpec(name: "chunk", weight: 0.25),
        PhaseSpec(name: "embed", weight: 0.25),
        PhaseSpec(name: "index", weight: 0.25),
    ])

    private init(uncheckedPhases: [PhaseSpec]) {
        phases = uncheckedPhases
    }

    /// A plan from a host's phases.
    /// - Throws: `PlanError` when there are no phases or too many, a name is empty,
    ///   repeated or not `[a-z0-9_-]{1,32}`, a weight is negative or not finite, or the
    ///   weights do not sum to 1 (within 1e-9).
    public init(phases: [PhaseSpec]) throws(PlanError) {
        guard !phases.isEmpty else { throw .noPhases }
        guard phases.count <= Self.maxPhases else { throw .tooManyPhases(phases.count) }
        // At most `maxPhases` names: comparing pairs costs less than hashing into a set, and
        // every job record decoded runs this.
        for (index, phase) in phases.enumerated() {
            guard Self.isValidName(phase.name) else { throw .badName(phase.name) }
            guard !phases[..<index].contains(where: { $0.name == phase.name }) else { throw .duplicateName(phase.name) }
            guard phase.weight.isFinite, phase.weight >= 0 else { throw .badWeight(phase.name, phase.weight) }
        }
        let sum = phases.reduce(0) { $0 + $1.weight }
        guard abs(sum - 1) <= 1e-9 else { throw .weightsDoNotSumToOne(sum) }
        self.phases = phases
    }

    /// A plan of `names` with equal weights.
    public init(equallyWeighted names: [String]) throws(PlanError) {
        let weight = names.isEmpty ? 0 : 1 / Double(names.count)
        try self.init(phases: names.map { PhaseSpec(name: $0, weight: weight) })
    }

    /// The ordinal of the phase called `name`, or `nil`.
    public func ordinal(of name: String) -> Int? {
        phases.firstIndex { $0.name == name }
    }

    /// How many phases the plan has.
    public var count: Int { phases.count }

    static func isValidName(_ name: String) -> Bool {
        guard (1...32).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { byte in
            (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F || byte == 0x2D
        }
    }
}

/// Why a plan was refused.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Equatable, Sendable {
        case noPhases, tooManyPhases(Int), badName(String), duplicateName(String)
        case badWeight(String, Double), weightsDoNotSumToOne(Double)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    static let noPhases = PlanError(.noPhases)
    static func tooManyPhases(_ count: Int) -> PlanError { .init(.tooManyPhases(count)) }
    static func badName(_ name: String) -> PlanError { .init(.badName(name)) }
    static func duplicateName(_ name: String) -> PlanError { .init(.duplicateName(name)) }
    static func badWeight(_ name: String, _ weight: Double) -> PlanError { .init(.badWeight(name, weight)) }
    static func weightsDoNotSumToOne(_ sum: Double) -> PlanError { .init(.weightsDoNotSumToOne(sum)) }

    /// The rule the plan breaks.
    public var description: String {
        switch kind {
        case .noPhases: "a plan needs at least one phase"
        case .tooManyPhases(let count): "a plan may have at most \(Plan.maxPhases) phases, not \(count)"
        case .badName(let name): "phase name \"\(name)\" must be 1 to 32 of a-z, 0-9, _ and -"
        case .duplicateName(let name): "phase name \"\(name)\" appears twice in the plan"
        case .badWeight(let name, let weight): "phase \"\(name)\" has weight \(weight); weights must be finite and not negative"
        case .weightsDoNotSumToOne(let sum): "phase weights sum to \(sum); they must sum to 1"
        }
    }
}
