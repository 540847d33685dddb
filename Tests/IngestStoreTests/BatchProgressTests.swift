import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

/// `StoreBatch.recordProgress` by ordinal, the path of every group commit: an active phase
/// of an existing job is read, changed and written on its own, and everything else goes the
/// general way. These tests pin what that shortcut must keep: it changes that one record and
/// nothing else, and it never lets a wrong ordinal or a damaged store through.
@Suite("Recording progress in a batch")
struct BatchProgressTests {
    /// Every entry of every named database, by database name.
    private static func contents(_ store: JobStore) throws -> [String: [[UInt8]: [UInt8]]] {
        let databases = store.databases
        let named: [(String, Database)] = [
            ("meta", databases.meta), ("jobs", databases.jobs), ("phases", databases.phases),
            ("by_status", databases.byStatus), ("leases", databases.leases), ("journal", databases.journal),
            ("items", databases.items), ("queue", databases.queue),
        ]
        return try store.read { txn in
            var all: [String: [[UInt8]: [UInt8]]] = [:]
            for (name, database) in named {
                var entries: [[UInt8]: [UInt8]] = [:]
                try txn.scan(database) { key, value in
                    entries[Array(key)] = Array(value)
                    return true
                }
                all[name] = entries
            }
            return all
        }
    }

    @Test("progress of a running phase rewrites that phase's record and nothing else")
    func changesOneRecord() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store"), clock: SteppingStoreClock().function) { store in
                let id = try StoreFixture.submit(store, "job-1")
                let other = try StoreFixture.submit(store, "job-2")
                try store.startPhase(id, "load")
                try store.startPhase(id, "chunk")
                try store.startPhase(other, "load")
                let before = try Self.contents(store)
                try store.write { batch in
                    try batch.recordProgress(id, phase: 1, processed: 5, total: 9, itemsFailed: 1, checkpoint: [7])
                }
                let after = try Self.contents(store)
                for name in before.keys.sorted() where name != "phases" {
                    #expect(after[name] == before[name], "\(name) changed")
                }
                let changed = Set(before["phases", default: [:]].keys).union(after["phases", default: [:]].keys)
                    .filter { before["phases"]?[$0] != after["phases"]?[$0] }
                #expect(changed == [Keys.phase(id, ordinal: 1)])

                let job = try #require(try store.job(id))
                #expect(job.phases[1].processed == 5)
                #expect(job.phases[1].total == 9)
                #expect(job.phases[1].itemsFailed == 1)
                #expect(job.phases[1].checkpoint == [7])
                #expect(job.phases[1].status == .running)
                #expect(job.phases[1].updatedAt != nil)
                #expect(job.phases[1].updatedAt != job.phases[0].updatedAt, "stamped with the batch's time")
                #expect(job.phases[0].processed == 0)
                try StoreFixture.expectSound(store)
            }
        }
    }

    /// A phase key holds its ordinal in one byte, so ordinal 256 would name phase 0 if it
    /// were not checked first.
    @Test("an ordinal outside the plan is not found and writes nothing", arguments: [4, 31, 32, 256, 259, -1])
    func ordinalOutsidePlan(_ ordinal: Int) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.startPhase(id, "chunk")
                try store.startPhase(id, "embed")
                try store.startPhase(id, "index")
                let error = try StoreFixture.expectRefusedUnchanged(store, id) {
                    try store.write { batch in try batch.recordProgress(id, phase: ordinal, processed: 3, total: nil) }
                }
                #expect(error.category == .notFound)
                #expect(error.description.contains("#\(ordinal)"), "unclear message: \(error)")
            }
        }
    }

    @Test("progress for a job whose record is gone but whose phases are left is damage, not a write")
    func orphanedPhases() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.write { batch in _ = try batch.transaction.delete(store.databases.jobs, Keys.job(id)) }
                let phasesBefore = try Self.contents(store)["phases"]
                let error = try #require(throws: StoreError.self) {
                    try store.write { batch in try batch.recordProgress(id, phase: 0, processed: 3, total: nil) }
                }
                #expect(error.category == .damaged)
                #expect(error.description.contains("phase records are there"), "unclear message: \(error)")
                #expect(try Self.contents(store)["phases"] == phasesBefore)
            }
        }
    }

    @Test("a damaged phase record is reported as damage")
    func damagedPhaseRecord() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.write { batch in
                    try batch.transaction.put(store.databases.phases, Keys.phase(id, ordinal: 0), [PhaseRecord.version, 0xEE])
                }
                let error = try #require(throws: StoreError.self) {
                    try store.write { batch in try batch.recordProgress(id, phase: 0, processed: 3, total: nil) }
                }
                #expect(error.category == .damaged)
                #expect(error.description.contains("phases"), "unclear message: \(error)")
            }
        }
    }

    @Test("progress of a phase that is not active is refused by ordinal too", arguments: [PhaseStatus.notStarted, .completed, .failed])
    func inactivePhase(_ status: PhaseStatus) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try StoreFixture.drive(store, id, "load", to: status)
                let error = try StoreFixture.expectRefusedUnchanged(store, id) {
                    try store.write { batch in try batch.recordProgress(id, phase: 0, processed: 1, total: 2) }
                }
                #expect(error.transitionError != nil)
                #expect(error.description.contains("load is \(status)"), "unclear message: \(error)")
            }
        }
    }
}
