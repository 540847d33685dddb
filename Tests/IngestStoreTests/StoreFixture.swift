import Foundation
import IngestCore
import IngestTestSupport
import LMDBKit
import Synchronization
import Testing

@testable import IngestStore

/// Helpers for the store tests, kept in one namespace so they cannot clash with other
/// files of this test target.
enum StoreFixture {
    /// The plan's phase names, in order.
    static let standardPhases = ["load", "chunk", "embed", "index"]

    /// Runs `body` with a fresh temporary directory that lives until `body` returns.
    static func withDirectory<R>(_ body: (TemporaryDirectory) throws -> R) rethrows -> R {
        let directory = TemporaryDirectory("ingest-store-test")
        return try withExtendedLifetime(directory) { try body(directory) }
    }

    /// Opens the store at `path`, runs `body`, lets the store go, and checks that its LMDB
    /// environment really closed — so the next open reads the files afresh.
    static func withStore<R>(
        at path: String, mode: JobStore.AccessMode = .readWrite,
        clock: @escaping @Sendable () -> Timestamp = JobStore.wallClock,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (JobStore) throws -> R
    ) throws -> R {
        weak var environment: Environment?
        let result: R
        do {
            let store = try JobStore.open(at: path, mode: mode, clock: clock)
            environment = store.environment
            result = try body(store)
        }
        #expect(environment == nil, "the LMDB environment of \(path) stayed open", sourceLocation: sourceLocation)
        return result
    }

    /// The job as a freshly opened store reads it.
    static func reopened(
        _ path: String, _ id: JobID, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JobSnapshot {
        let snapshot = try withStore(at: path, sourceLocation: sourceLocation) { store in try store.job(id) }
        return try #require(snapshot, "job \(id) is missing after reopening", sourceLocation: sourceLocation)
    }

    /// The job's journal as a freshly opened store reads it.
    static func reopenedJournal(_ path: String, _ id: JobID) throws -> [JournalEntry] {
        try withStore(at: path) { store in try store.journal(id) }
    }

    /// The bytes of the store's `data.mdb`.
    static func dataFile(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Data {
        try #require(
            FileManager.default.contents(atPath: path + "/data.mdb"), "no data.mdb in \(path)",
            sourceLocation: sourceLocation
        )
    }

    /// Submits a job with the user-given id `name` and checks that it was created.
    @discardableResult
    static func submit(
        _ store: JobStore, _ name: String, plan: Plan = .standard, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JobID {
        let id = try JobID(validating: name)
        let result = try store.submit(id: id, source: "/data/\(name)", plan: plan)
        #expect(result.created, "job \(name) already existed", sourceLocation: sourceLocation)
        #expect(result.id == id, sourceLocation: sourceLocation)
        return id
    }

    /// Moves a phase that has not started to `status` through the service API:
    /// paused with reason `budget`, failed with the error "setup failure".
    static func drive(_ store: JobStore, _ id: JobID, _ phase: String, to status: PhaseStatus) throws {
        switch status {
        case .notStarted:
            return
        case .running:
            try store.startPhase(id, phase)
        case .paused:
            try store.startPhase(id, phase)
            try store.pausePhase(id, phase, reason: .budget)
        case .completed:
            try store.startPhase(id, phase)
            try store.completePhase(id, phase)
        case .failed:
            try store.startPhase(id, phase)
            try store.failPhase(id, phase, error: "setup failure")
        }
    }

    /// Starts (when needed) and completes every phase of the job, in order.
    static func completeAll(_ store: JobStore, _ id: JobID) throws {
        let job = try #require(try store.job(id))
        for (ordinal, spec) in job.record.plan.phases.enumerated() {
            switch job.phases[ordinal].status {
            case .notStarted: try store.startPhase(id, spec.name)
            case .paused: try store.resumePhase(id, spec.name)
            case .failed: try store.retryPhase(id, spec.name)
            case .running, .completed: break
            }
            if job.phases[ordinal].status != .completed { try store.completePhase(id, spec.name) }
        }
    }

    /// Runs `action`, expects it to throw a `StoreError`, and checks that it changed
    /// nothing: `data.mdb` is byte-for-byte the same, and so are the job and its journal.
    /// - Returns: The error, for the caller's own checks.
    @discardableResult
    static func expectRefusedUnchanged(
        _ store: JobStore, _ id: JobID, sourceLocation: SourceLocation = #_sourceLocation,
        _ action: () throws -> Void
    ) throws -> StoreError {
        let bytesBefore = try dataFile(store.path, sourceLocation: sourceLocation)
        let journalBefore = try store.journal(id)
        let jobBefore = try store.job(id)
        let error = try #require(throws: StoreError.self, sourceLocation: sourceLocation) { try action() }
        let bytesAfter = try dataFile(store.path, sourceLocation: sourceLocation)
        #expect(bytesAfter == bytesBefore, "data.mdb changed although the request was refused", sourceLocation: sourceLocation)
        #expect(try store.journal(id) == journalBefore, "the journal changed", sourceLocation: sourceLocation)
        let jobAfter = try store.job(id)
        #expect(jobAfter?.record == jobBefore?.record, sourceLocation: sourceLocation)
        #expect(jobAfter?.phases == jobBefore?.phases, sourceLocation: sourceLocation)
        return error
    }

    /// Checks that `StoreVerifier` finds nothing wrong.
    static func expectSound(_ store: JobStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problems = try StoreVerifier.verify(store)
        #expect(problems == [], "the verifier found: \(problems)", sourceLocation: sourceLocation)
    }

    /// The events of a journal, without sequence numbers and times.
    static func events(_ journal: [JournalEntry]) -> [JournalEntry.Event] { journal.map(\.event) }
}

/// A clock that moves one second forward on every reading, so that every batch gets its
/// own time and tests can tell which batch wrote what.
final class SteppingStoreClock: Sendable {
    private let next: Mutex<UInt64>
    private let step: UInt64

    init(startingAt start: UInt64 = 1_750_000_000_000, step: UInt64 = 1_000) {
        next = Mutex(start)
        self.step = step
    }

    func now() -> Timestamp {
        next.withLock { value in
            defer { value += step }
            return Timestamp(millisecondsSince1970: value)
        }
    }

    /// The clock as `JobStore.open` takes it.
    var function: @Sendable () -> Timestamp { { self.now() } }
}
