import Foundation
import IngestCore
import IngestTestSupport
import LMDBKit
import Synchronization
import Testing

@testable import IngestStore

@Suite("Retention: gc, journal bound, compaction")
struct RetentionStoreTests {
    /// A clock the test moves by hand (milliseconds since 1970).
    final class ManualClock: Sendable {
        private let now = Mutex<UInt64>(1_000_000)
        func set(_ value: UInt64) { now.withLock { $0 = value } }
        var clock: @Sendable () -> Timestamp { { [self] in Timestamp(millisecondsSince1970: now.withLock { $0 }) } }
    }

    /// Entries of `database` whose key starts with `id`'s prefix.
    static func entries(_ store: JobStore, _ database: KeyPath<StoreDatabases, Database>, of id: JobID) throws -> Int {
        try store.read { txn in
            var count = 0
            try txn.scan(store.databases[keyPath: database], prefix: Keys.jobPrefix(id)) { _, _ in
                count += 1
                return true
            }
            return count
        }
    }

    @Test("selection: only finished jobs, by status, keep-last and age; a future stamp is never old")
    func selection() throws {
        try StoreFixture.withDirectory { directory in
            let clock = ManualClock()
            let store = try JobStore.open(at: directory.appending("store"), clock: clock.clock)
            var finished: [JobID] = []
            for (index, minute) in [1, 2, 3, 4].enumerated() {
                clock.set(UInt64(minute) * 60_000)
                let id = try StoreFixture.submit(store, "done\(index)")
                if index == 2 {
                    try StoreFixture.drive(store, id, "load", to: .failed)
                } else {
                    try StoreFixture.completeAll(store, id)
                }
                finished.append(id)
            }
            clock.set(10 * 60_000)
            let pending = try StoreFixture.submit(store, "pending")
            let running = try StoreFixture.submit(store, "running")
            try StoreFixture.drive(store, running, "load", to: .paused)
            // Stamped ahead of the clock, as after an RTC-less box set its time backwards.
            clock.set(100 * 60_000)
            let future = try StoreFixture.submit(store, "future")
            try StoreFixture.completeAll(store, future)
            let now = Timestamp(millisecondsSince1970: 11 * 60_000)

            let everything = try store.jobsToRemove(RetentionRule(keepLast: 0), now: now)
            #expect(Set(everything) == Set(finished + [future]), "only finished jobs are candidates")
            #expect(everything.first == finished[0], "oldest first")
            #expect(!everything.contains(pending) && !everything.contains(running))

            #expect(try store.jobsToRemove(RetentionRule(statuses: [.failed]), now: now) == [finished[2]])
            #expect(
                try store.jobsToRemove(RetentionRule(keepLast: 2), now: now) == [finished[0], finished[1], finished[2]],
                "the two newest (future, then minute 4) are kept"
            )
            let older = try store.jobsToRemove(RetentionRule(olderThan: .seconds(510)), now: now)
            #expect(older == [finished[0], finished[1]], "finished at minutes 1 and 2, over 8.5 minutes before now")
            #expect(!older.contains(future), "a finish time in the future is age zero")
            let both = try store.jobsToRemove(RetentionRule(olderThan: .seconds(60), keepLast: 3), now: now)
            #expect(both == [finished[0], finished[1]], "the newest three (future, 3, 2) are kept whatever their age")
        }
    }

    @Test("removing a job removes every record of it; the store verifies; a job retried meanwhile is kept")
    func removal() throws {
        try StoreFixture.withDirectory { directory in
            let store = try JobStore.open(at: directory.appending("store"))
            let gone = try StoreFixture.submit(store, "gone")
            try store.write { batch in
                _ = try batch.enqueue(gone, phase: 1, payload: [1, 2, 3])
                try batch.putReceipt(gone, phase: 0, itemKey: [7], failure: nil)
            }
            try StoreFixture.completeAll(store, gone)
            let retried = try StoreFixture.submit(store, "retried")
            try StoreFixture.drive(store, retried, "load", to: .failed)
            let kept = try StoreFixture.submit(store, "kept")

            let selected = try store.jobsToRemove(RetentionRule(), now: JobStore.wallClock())
            #expect(Set(selected) == [gone, retried])
            try store.retryFailedPhases(retried)
            let removed = try store.removeFinishedJobs(selected, batchSize: 1)
            #expect(removed == [gone], "the retried job is no longer finished and stays")

            #expect(try store.job(gone) == nil)
            for database in [\StoreDatabases.phases, \.journal, \.queue, \.items] {
                #expect(try Self.entries(store, database, of: gone) == 0, "\(database) keeps records of a removed job")
            }
            #expect(try store.countsByStatus().values.reduce(0, +) == 2)
            #expect(try store.job(kept) != nil && store.job(retried) != nil)
            #expect(try StoreVerifier.verify(store).isEmpty)
        }
    }

    @Test("the journal keeps the last journalLimit lines of a job, and verifies")
    func journalBound() throws {
        try StoreFixture.withDirectory { directory in
            let store = try JobStore.open(at: directory.appending("store"))
            let id = try StoreFixture.submit(store, "chatty")
            try store.startPhase(id, "load")
            // Each hold and release writes journal lines; 700 of each in one transaction.
            try store.write { batch in
                for _ in 0..<700 {
                    _ = try batch.hold(id)
                    _ = try batch.release(id)
                }
            }
            let record = try #require(try store.job(id)).record
            #expect(record.nextJournalSequence > JobStore.journalLimit + 100, "the test did not write enough lines")
            let journal = try store.journal(id)
            #expect(UInt64(journal.count) == JobStore.journalLimit)
            #expect(journal.first?.sequence == record.nextJournalSequence - JobStore.journalLimit)
            #expect(journal.last?.sequence == record.nextJournalSequence - 1)
            #expect(try StoreVerifier.verify(store).isEmpty)
        }
    }

    @Test("compaction is refused while a writer has the store open, then keeps every job and verifies")
    func compaction() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            var ids: [JobID] = []
            try StoreFixture.withStore(at: path) { store in
                for index in 0..<100 { ids.append(try StoreFixture.submit(store, "job\(index)")) }
                for id in ids.prefix(80) { try StoreFixture.completeAll(store, id) }
                _ = try store.removeFinishedJobs(Array(ids.prefix(80)))
                let error = try #require(throws: StoreError.self) { try JobStore.compact(at: path) }
                #expect(error.category == .busy, "\(error)")
                #expect(error.description.contains("busy"))
            }
            let sizeBefore = try StoreFixture.dataFile(path).count
            let result = try JobStore.compact(at: path)
            #expect(result.bytesAfter < result.bytesBefore && Int(result.bytesBefore) == sizeBefore, "\(result)")
            #expect(!FileManager.default.fileExists(atPath: path + "/compacting"), "the staging directory is left behind")
            try StoreFixture.withStore(at: path) { store in
                #expect(try StoreVerifier.verify(store).isEmpty)
                #expect(try store.countsByStatus()[.pending] == 20)
                for id in ids.suffix(20) { #expect(try store.job(id) != nil) }
                // Still writable after the swap.
                try StoreFixture.completeAll(store, ids[99])
            }
            #expect(try StoreFixture.reopened(path, ids[99]).status == .completed)
        }
    }
}
