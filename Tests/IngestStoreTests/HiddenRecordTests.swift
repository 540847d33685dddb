import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

/// A job record that lookups cannot find while the job's other records remain is damage,
/// not a missing job: one flipped bit in a key hides a record, and LMDB keeps no checksums
/// (tests/DamagedPagesTests found `ingest status` saying "no job" for such a store).
@Suite("a hidden job record")
struct HiddenRecordTests {
    /// Deletes `id`'s record alone, as a damaged key would hide it, leaving everything else.
    static func hideRecord(_ store: JobStore, _ id: JobID) throws {
        try store.write { batch in _ = try batch.transaction.delete(store.databases.jobs, Keys.job(id)) }
    }

    @Test("a job whose record is gone but whose phases and journal remain reads as damaged, not missing")
    func hiddenRecordIsDamage() throws {
        try StoreFixture.withDirectory { directory in
            let store = try JobStore.open(at: directory.appending("store"))
            let hidden = try StoreFixture.submit(store, "hidden")
            let other = try StoreFixture.submit(store, "other")
            try Self.hideRecord(store, hidden)

            let error = #expect(throws: StoreError.self) { try store.job(hidden) }
            #expect(error?.category == .damaged, "\(String(describing: error))")
            #expect(error?.description.contains("damaged") == true, "\(String(describing: error))")
            #expect(try store.job(other) != nil, "the job beside it still reads")
        }
    }

    @Test("with only the journal left, the job still reads as damaged")
    func journalAloneIsDamage() throws {
        try StoreFixture.withDirectory { directory in
            let store = try JobStore.open(at: directory.appending("store"))
            let id = try StoreFixture.submit(store, "journal-only")
            try store.write { batch in
                _ = try batch.transaction.delete(store.databases.jobs, Keys.job(id))
                _ = try batch.transaction.deleteAll(store.databases.phases, prefix: Keys.jobPrefix(id))
            }
            #expect(throws: StoreError.self) { try store.job(id) }
        }
    }

    @Test("negative controls: a job never submitted, and one removed by gc, are simply missing")
    func missingJobsAreMissing() throws {
        try StoreFixture.withDirectory { directory in
            let store = try JobStore.open(at: directory.appending("store"))
            #expect(try store.job(JobID(validating: "never")) == nil)
            let done = try StoreFixture.submit(store, "done")
            try StoreFixture.completeAll(store, done)
            #expect(try store.removeFinishedJobs([done]) == [done])
            #expect(try store.job(done) == nil, "gc removes a job whole, so nothing is left to suggest damage")
        }
    }
}
