import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

@Suite("Listing jobs by status")
struct StatusIndexStoreTests {
    /// Jobs in every status and in several ways of being running, submitted out of id order.
    /// - Returns: The expected ids per status.
    static func populate(_ store: JobStore) throws -> [JobStatus: [JobID]] {
        var expected: [JobStatus: [JobID]] = [:]
        func add(_ name: String, _ status: JobStatus, _ setup: (JobID) throws -> Void) throws {
            let id = try StoreFixture.submit(store, name)
            try setup(id)
            expected[status, default: []].append(id)
        }
        try add("zz-pending", .pending) { _ in }
        try add("m-failed-chunk", .failed) { id in
            try StoreFixture.drive(store, id, "load", to: .completed)
            try StoreFixture.drive(store, id, "chunk", to: .failed)
        }
        try add("b-running", .running) { id in try store.startPhase(id, "load") }
        try add("a-pending", .pending) { _ in }
        try add("y-completed", .completed) { id in try StoreFixture.completeAll(store, id) }
        try add("c-paused", .running) { id in try StoreFixture.drive(store, id, "load", to: .paused) }
        try add("q-between-phases", .running) { id in try StoreFixture.drive(store, id, "load", to: .completed) }
        try add("d-held", .running) { id in try store.hold(id) }
        try add("e-failed-load", .failed) { id in try StoreFixture.drive(store, id, "load", to: .failed) }
        try add("B-completed", .completed) { id in try StoreFixture.completeAll(store, id) }
        try add("p-failed-while-paused", .failed) { id in
            try StoreFixture.drive(store, id, "load", to: .paused)
            try store.failPhase(id, "load", error: "paused too long")
        }
        return expected.mapValues { $0.sorted() }
    }

    static func expectListing(
        _ store: JobStore, _ expected: [JobStatus: [JobID]], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for status in JobStatus.allCases {
            let listed = try store.jobs(status: status)
            #expect(listed.map(\.id) == expected[status] ?? [], "\(status)", sourceLocation: sourceLocation)
            #expect(listed.allSatisfy { $0.status == status }, "\(status)", sourceLocation: sourceLocation)
            #expect(try store.read { txn in try store.jobIDs(status: status, in: txn) } == expected[status] ?? [],
                    sourceLocation: sourceLocation)
        }
        let all = expected.values.flatMap { $0 }.sorted()
        #expect(try store.jobs().map(\.id) == all, sourceLocation: sourceLocation)
        #expect(try store.jobs(status: nil).map(\.id) == all, sourceLocation: sourceLocation)
        let counts = try store.countsByStatus()
        #expect(counts == Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, expected[$0]?.count ?? 0) }),
                sourceLocation: sourceLocation)
        try StoreFixture.expectSound(store, sourceLocation: sourceLocation)
    }

    @Test("each status filter returns exactly its jobs in id order, and the counts agree")
    func filtersMatch() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let expected = try StoreFixture.withStore(at: path) { store in
                let expected = try Self.populate(store)
                #expect(expected[.pending]?.count == 2)
                #expect(expected[.running]?.count == 4)
                #expect(expected[.completed]?.count == 2)
                #expect(expected[.failed]?.count == 3)
                try Self.expectListing(store, expected)
                return expected
            }
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in try Self.expectListing(store, expected) }
        }
    }

    @Test("the index holds one entry per job, keyed by its derived status")
    func indexEntries() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let expected = try Self.populate(store)
                let entries = try store.read { txn in
                    var keys: [[UInt8]] = []
                    try txn.scan(store.databases.byStatus) { key, value in
                        #expect(value.isEmpty)
                        keys.append(Array(key))
                        return true
                    }
                    return keys
                }
                let wanted = JobStatus.allCases.flatMap { status in
                    (expected[status] ?? []).map { [status.rawValue] + Array($0.rawValue.utf8) }
                }
                #expect(entries == wanted)
            }
        }
    }

    @Test("moving a job moves its index entry; nothing stale is left behind")
    func indexFollowsChanges() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            var expected = try StoreFixture.withStore(at: path) { store in try Self.populate(store) }
            let failed = try JobID(validating: "e-failed-load")
            let pending = try JobID(validating: "a-pending")
            let running = try JobID(validating: "b-running")
            try StoreFixture.withStore(at: path) { store in
                try store.retryFailedPhases(failed)
                try store.startPhase(pending, "load")
                try store.completePhase(running, "load")
                try store.startPhase(running, "chunk")
                try store.failPhase(running, "chunk", error: "bad chunk")
            }
            expected[.failed] = (expected[.failed]!.filter { $0 != failed } + [running]).sorted()
            expected[.pending] = expected[.pending]!.filter { $0 != pending }
            expected[.running] = (expected[.running]!.filter { $0 != running } + [failed, pending]).sorted()
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in try Self.expectListing(store, expected) }
        }
    }

    @Test("listing by status reads the index, not the phases")
    func listingUsesTheIndex() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let expected = try Self.populate(store)
                let hidden = try JobID(validating: "c-paused")
                // Remove one index entry behind the store's back.
                let deleted = try store.write { batch in
                    try batch.transaction.delete(store.databases.byStatus, Keys.byStatus(.running, hidden))
                }
                #expect(deleted)
                #expect(try store.jobs(status: .running).map(\.id) == expected[.running]!.filter { $0 != hidden })
                #expect(try store.countsByStatus()[.running] == expected[.running]!.count - 1)
                // The full listing walks the jobs and still has it; the verifier notices the gap.
                #expect(try store.jobs().map(\.id).contains(hidden))
                let problems = try StoreVerifier.verify(store)
                #expect(problems.count == 1)
                #expect(problems.first?.database == "by_status")
                #expect(problems.first?.key == "c-paused")
            }
        }
    }
}
