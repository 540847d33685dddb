import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

@Suite("Submitting jobs")
struct SubmitStoreTests {
    @Test("a second submit with the same id and source is idempotent")
    func idempotentByID() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try JobID(validating: "nightly.2026-01-05_a")
            let first = try StoreFixture.withStore(at: path) { store in
                try store.submit(id: id, source: "/srv/docs", settings: [1, 2, 3])
            }
            #expect(first.id == id)
            #expect(first.created)
            // Again, after reopening: as a second `ingest submit` would.
            let second = try StoreFixture.withStore(at: path) { store in
                try store.submit(id: id, source: "/srv/docs", settings: [1, 2, 3])
            }
            #expect(second.id == id)
            #expect(second.created == false)

            try StoreFixture.withStore(at: path) { store in
                #expect(try store.jobs().map(\.id) == [id])
                #expect(try store.countsByStatus() == [.pending: 1, .running: 0, .completed: 0, .failed: 0])
                #expect(StoreFixture.events(try store.journal(id)) == [.submitted])
                let job = try #require(try store.job(id))
                #expect(job.record.source == "/srv/docs")
                #expect(job.record.plan == .standard)
                #expect(job.record.settings == [1, 2, 3])
                #expect(job.record.held == false)
                #expect(job.status == .pending)
                #expect(job.activity == .queued)
                #expect(job.phases == Array(repeating: PhaseState(), count: 4))
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("resubmitting a job that has moved on returns it as it is")
    func resubmitAfterProgress() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                let bytes = try StoreFixture.dataFile(store.path)
                let result = try store.submit(id: id, source: "/data/job-1")
                #expect(result.created == false)
                #expect(try StoreFixture.dataFile(store.path) == bytes, "an idempotent submit wrote to the store")
                #expect(try store.job(id)?.phases[0].status == .running, "a resubmit reset the job")
                #expect(try store.journal(id).count == 2)
            }
        }
    }

    @Test("the same id with another source, plan or settings is a conflict")
    func sameIDDifferentJob() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try JobID(validating: "shared-id")
                _ = try store.submit(id: id, source: "/srv/a", settings: [7])
                let otherSource = try StoreFixture.expectRefusedUnchanged(store, id) {
                    _ = try store.submit(id: id, source: "/srv/b", settings: [7])
                }
                #expect(otherSource.category == .conflict)
                #expect(otherSource.transitionError == nil)
                #expect(otherSource.description.contains("/srv/a"), "the message should name the existing source: \(otherSource)")

                let plan = try Plan(equallyWeighted: ["fetch", "store"])
                let otherPlan = try StoreFixture.expectRefusedUnchanged(store, id) {
                    _ = try store.submit(id: id, source: "/srv/a", plan: plan, settings: [7])
                }
                #expect(otherPlan.category == .conflict)
                let otherSettings = try StoreFixture.expectRefusedUnchanged(store, id) {
                    _ = try store.submit(id: id, source: "/srv/a", settings: [8])
                }
                #expect(otherSettings.category == .conflict)

                #expect(try store.jobs().count == 1)
                #expect(try store.job(id)?.record.source == "/srv/a")
                #expect(StoreFixture.events(try store.journal(id)) == [.submitted])
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("generated ids are valid, unique, and time-ordered")
    func generatedIDs() throws {
        try StoreFixture.withDirectory { directory in
            let clock = SteppingStoreClock(step: 1)
            try StoreFixture.withStore(at: directory.appending("store"), clock: clock.function) { store in
                var ids: [JobID] = []
                for index in 0..<60 {
                    let result = try store.submit(source: "/data/\(index)")
                    #expect(result.created)
                    ids.append(result.id)
                }
                #expect(Set(ids).count == ids.count, "generated ids repeat")
                #expect(ids == ids.sorted(), "ids generated later sort later")
                for id in ids {
                    #expect(id.rawValue.utf8.count == 16)
                    #expect((try? JobID(validating: id.rawValue)) == id, "\(id) is not a valid id")
                }
                #expect(try store.jobs().map(\.id) == ids)
                #expect(try store.jobs().map(\.record.source) == (0..<60).map { "/data/\($0)" })
                #expect(try store.countsByStatus()[.pending] == 60)
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("ids generated within one millisecond are still unique")
    func generatedIDsSameMillisecond() throws {
        try StoreFixture.withDirectory { directory in
            let frozen: @Sendable () -> Timestamp = { Timestamp(millisecondsSince1970: 1_750_000_000_000) }
            try StoreFixture.withStore(at: directory.appending("store"), clock: frozen) { store in
                var ids = Set<JobID>()
                for index in 0..<40 {
                    let result = try store.submit(source: "/data/\(index)")
                    #expect(result.created)
                    ids.insert(result.id)
                }
                #expect(ids.count == 40)
                #expect(Set(ids.map { $0.rawValue.prefix(10) }).count == 1, "the time part is the same")
                #expect(try store.jobs().count == 40)
            }
        }
    }

    @Test("ids that break the rules are refused before they reach the store",
          arguments: ["", ".", "..", "has space", "slash/inside", "nul\u{0}byte", "ümlaut", String(repeating: "x", count: 129)])
    func invalidIDs(_ text: String) {
        #expect(throws: JobIDError.self) { try JobID(validating: text) }
    }

    @Test("the longest allowed id round-trips through the store")
    func longestID() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try JobID(validating: String(repeating: "a.b_c-D9", count: 16))
            try StoreFixture.withStore(at: path) { store in _ = try store.submit(id: id, source: "/x") }
            #expect(try StoreFixture.reopened(path, id).id == id)
        }
    }
}
