import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

/// One call of the service API on a phase that stands at `from`.
struct PhaseMove: Sendable, CustomTestStringConvertible {
    enum Verb: Sendable, CaseIterable {
        case start, pause, resume, complete, fail, retry

        /// The status the call moves the phase to.
        var target: PhaseStatus {
            switch self {
            case .start, .resume, .retry: .running
            case .pause: .paused
            case .complete: .completed
            case .fail: .failed
            }
        }
    }

    static let pauseReason = PauseReason.diskFull
    static let failure = "read error on /data/x: input/output error"

    let from: PhaseStatus
    let verb: Verb
    /// The single-phase plan as well as the standard one, so every derived job status shows up.
    let singlePhase: Bool

    var target: PhaseStatus { verb.target }
    var reason: PauseReason? { verb == .pause ? Self.pauseReason : nil }
    var error: String? { verb == .fail ? Self.failure : nil }

    var testDescription: String {
        "\(verb) on \(from) → \(target)" + (singlePhase ? " (one-phase plan)" : "")
    }

    func apply(_ store: JobStore, _ id: JobID, _ phase: String) throws {
        switch verb {
        case .start: try store.startPhase(id, phase)
        case .pause: try store.pausePhase(id, phase, reason: Self.pauseReason)
        case .resume: try store.resumePhase(id, phase)
        case .complete: try store.completePhase(id, phase)
        case .fail: try store.failPhase(id, phase, error: Self.failure)
        case .retry: try store.retryPhase(id, phase)
        }
    }

    /// Whether the status table allows the move and the verb is the one made for it.
    var isLegal: Bool {
        switch (from, verb) {
        case (.notStarted, .start), (.notStarted, .pause): true
        case (.running, .pause), (.running, .complete), (.running, .fail): true
        case (.paused, .resume), (.paused, .fail): true
        case (.failed, .retry): true
        default: false
        }
    }

    static let legal: [PhaseMove] = [false, true].flatMap { single in
        PhaseStatus.allCases.flatMap { from in
            Verb.allCases.map { PhaseMove(from: from, verb: $0, singlePhase: single) }
        }
    }.filter(\.isLegal)

    static let illegal: [PhaseMove] = PhaseStatus.allCases.flatMap { from in
        Verb.allCases.map { PhaseMove(from: from, verb: $0, singlePhase: false) }
    }.filter { !$0.isLegal }

    /// Attempts after the move: starting counts one, a retry counts another, resuming none.
    var expectedAttempts: UInt32 {
        switch from {
        case .notStarted: verb == .start ? 1 : 0
        case .running, .paused, .completed: 1
        case .failed: verb == .retry ? 2 : 1
        }
    }

    /// The error text after the move: the new failure, or the one recovered from on a retry.
    var expectedLastError: String? {
        if verb == .fail { return Self.failure }
        if from == .failed { return "setup failure" }
        return nil
    }

    /// The job's status after the move, worked out by hand from the status table.
    var expectedJobStatus: JobStatus {
        switch target {
        case .failed: .failed
        case .completed: singlePhase ? .completed : .running
        case .notStarted, .running, .paused: .running
        }
    }
}

@Suite("Phase transitions through the store")
struct TransitionStoreTests {
    static let onePhase = try! Plan(phases: [PhaseSpec(name: "only", weight: 1)])

    @Test("a legal transition persists across reopening", arguments: PhaseMove.legal)
    func legalTransitionPersists(_ move: PhaseMove) throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let plan = move.singlePhase ? Self.onePhase : .standard
            let phase = plan.phases[0].name
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1", plan: plan)
                try StoreFixture.drive(store, id, phase, to: move.from)
                try move.apply(store, id, phase)
                return id
            }

            let job = try StoreFixture.reopened(path, id)
            let state = job.phases[0]
            #expect(state.status == move.target)
            #expect(state.pauseReason == move.reason)
            #expect(state.attempts == move.expectedAttempts)
            #expect(state.lastError == move.expectedLastError)
            #expect(job.status == move.expectedJobStatus)
            #expect(job.phases.dropFirst().allSatisfy { $0 == PhaseState() }, "other phases changed")
            if move.target == .running { #expect(state.startedAt != nil) }
            if move.target == .completed {
                #expect(state.completedAt != nil)
                #expect(state.total == state.processed, "a completed phase takes its processed count as total")
            }

            try StoreFixture.withStore(at: path, mode: .readOnly) { store in
                let journal = try store.journal(id)
                #expect(journal.last?.event == .transition(
                    phase: 0, from: move.from, to: move.target, reason: move.reason, error: move.error
                ))
                #expect(journal.map(\.sequence) == Array(0..<UInt64(journal.count)))
                #expect(try store.jobs(status: move.expectedJobStatus).map(\.id) == [id])
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("an illegal transition is a conflict and writes nothing", arguments: PhaseMove.illegal)
    func illegalTransitionRefused(_ move: PhaseMove) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try StoreFixture.drive(store, id, "load", to: move.from)
                let error = try StoreFixture.expectRefusedUnchanged(store, id) { try move.apply(store, id, "load") }
                #expect(error.category == .conflict)
                let transition = try #require(error.transitionError, "\(error) carries no transition error")
                #expect(transition.from == move.from)
                #expect(transition.to == move.target)
                #expect(error.description.contains("load"), "the message does not name the phase: \(error)")
                #expect(try store.job(id)?.phases[0].status == move.from)
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("the table of legal and illegal moves covers every status and verb")
    func moveTablesAreComplete() {
        #expect(PhaseMove.legal.count == 2 * 8)
        #expect(PhaseMove.illegal.count == PhaseStatus.allCases.count * PhaseMove.Verb.allCases.count - 8)
        let legalPairs = Set(PhaseMove.legal.map { "\($0.from)→\($0.target)" })
        for from in PhaseStatus.allCases {
            for to in PhaseStatus.allCases {
                #expect(legalPairs.contains("\(from)→\(to)") == Transitions.isAllowed(from: from, to: to), "\(from)→\(to)")
            }
        }
    }

    /// Moves the status table allows but the neighbouring phase or the progress forbids.
    enum NeighbourRule: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case startBeforePredecessorStarted
        case startAfterPredecessorFailed
        case completeBeforePredecessorCompleted
        case completeWithInputLeft
        case pauseWithoutReason
        case reasonWithoutPause

        var testDescription: String { rawValue }
    }

    @Test("a move the neighbour rules forbid is a conflict and writes nothing", arguments: NeighbourRule.allCases)
    func neighbourRulesRefused(_ rule: NeighbourRule) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                let error: StoreError
                switch rule {
                case .startBeforePredecessorStarted:
                    error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.startPhase(id, "chunk") }
                case .startAfterPredecessorFailed:
                    try StoreFixture.drive(store, id, "load", to: .failed)
                    error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.startPhase(id, "chunk") }
                case .completeBeforePredecessorCompleted:
                    try store.startPhase(id, "load")
                    try store.startPhase(id, "chunk")
                    error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.completePhase(id, "chunk") }
                case .completeWithInputLeft:
                    try store.startPhase(id, "load")
                    try store.recordProgress(id, "load", processed: 3, total: 10)
                    error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.completePhase(id, "load") }
                case .pauseWithoutReason:
                    try store.startPhase(id, "load")
                    error = try StoreFixture.expectRefusedUnchanged(store, id) {
                        try store.write { batch in _ = try batch.transition(id, phase: 0, to: .paused, reason: nil) }
                    }
                case .reasonWithoutPause:
                    try store.startPhase(id, "load")
                    try store.pausePhase(id, "load", reason: .shutdown)
                    error = try StoreFixture.expectRefusedUnchanged(store, id) {
                        try store.write { batch in _ = try batch.transition(id, phase: 0, to: .running, reason: .user) }
                    }
                }
                #expect(error.category == .conflict)
                #expect(error.transitionError != nil, "\(error) carries no transition error")
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("a transition on a missing job or phase is not found and writes nothing")
    func missingJobOrPhase() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                let missing = try JobID(validating: "no-such-job")
                let noJob = try #require(throws: StoreError.self) { try store.startPhase(missing, "load") }
                #expect(noJob.category == .notFound)
                #expect(noJob.transitionError == nil)
                let noPhase = try StoreFixture.expectRefusedUnchanged(store, id) { try store.startPhase(id, "translate") }
                #expect(noPhase.category == .notFound)
                #expect(noPhase.description.contains("translate"))
                #expect(try store.job(missing) == nil)
                #expect(try store.journal(missing) == [])
                try StoreFixture.expectSound(store)
            }
        }
    }
}
