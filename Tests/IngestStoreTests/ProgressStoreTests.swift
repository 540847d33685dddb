import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

@Suite("Recording progress")
struct ProgressStoreTests {
    @Test("processed, total, checkpoint and items failed persist; no journal line")
    func progressPersists() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let (id, journalLength) = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                let before = try store.journal(id).count
                try store.recordProgress(id, "load", processed: 7, total: 20, itemsFailed: 2, checkpoint: [0xDE, 0xAD, 0, 7])
                #expect(try store.journal(id).count == before, "progress is not a transition")
                return (id, before)
            }
            var load = try StoreFixture.reopened(path, id).phases[0]
            #expect(load.status == .running)
            #expect(load.processed == 7)
            #expect(load.total == 20)
            #expect(load.itemsFailed == 2)
            #expect(load.checkpoint == [0xDE, 0xAD, 0, 7])
            #expect(load.updatedAt != nil)
            #expect(try StoreFixture.reopenedJournal(path, id).count == journalLength)

            // Leaving out total, itemsFailed and checkpoint keeps what was recorded.
            try StoreFixture.withStore(at: path) { store in try store.recordProgress(id, "load", processed: 9) }
            load = try StoreFixture.reopened(path, id).phases[0]
            #expect(load.processed == 9)
            #expect(load.total == 20)
            #expect(load.itemsFailed == 2)
            #expect(load.checkpoint == [0xDE, 0xAD, 0, 7])

            // A later checkpoint replaces the earlier one, an empty one clears it.
            try StoreFixture.withStore(at: path) { store in
                try store.recordProgress(id, "load", processed: 12, total: 25, itemsFailed: 3, checkpoint: [])
            }
            load = try StoreFixture.reopened(path, id).phases[0]
            #expect(load.processed == 12)
            #expect(load.total == 25)
            #expect(load.itemsFailed == 3)
            #expect(load.checkpoint == [])
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in try StoreFixture.expectSound(store) }
        }
    }

    @Test("progress for a phase that is not active is refused and writes nothing",
          arguments: [PhaseStatus.notStarted, .completed, .failed])
    func progressRefusedUnlessRunning(_ status: PhaseStatus) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try StoreFixture.drive(store, id, "load", to: status)
                let error = try StoreFixture.expectRefusedUnchanged(store, id) {
                    try store.recordProgress(id, "load", processed: 1, total: 2, itemsFailed: 1, checkpoint: [1])
                }
                #expect(error.category == .conflict)
                #expect(error.transitionError != nil)
                #expect(error.description.contains("load is \(status)"), "unclear message: \(error)")
                try StoreFixture.expectSound(store)
            }
        }
    }

    /// A runner that is told to stop (a user pause from another process marks its phases
    /// paused) still commits the items it drains, so a paused phase takes progress — and
    /// stays paused with its reason.
    @Test("progress for a paused phase is kept and the phase stays paused")
    func progressWhilePaused() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let (id, journalLength) = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.recordProgress(id, "load", processed: 2, total: 10, checkpoint: [2])
                try store.hold(id)
                let length = try store.journal(id).count
                try store.recordProgress(id, "load", processed: 3, itemsFailed: 1, checkpoint: [3])
                return (id, length)
            }
            let job = try StoreFixture.reopened(path, id)
            #expect(job.phases[0].status == .paused)
            #expect(job.phases[0].pauseReason == .user)
            #expect(job.phases[0].processed == 3)
            #expect(job.phases[0].total == 10)
            #expect(job.phases[0].itemsFailed == 1)
            #expect(job.phases[0].checkpoint == [3])
            #expect(job.record.held)
            #expect(try StoreFixture.reopenedJournal(path, id).count == journalLength)
        }
    }

    @Test("progress for a missing job or phase is not found")
    func progressForMissing() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                let noPhase = try StoreFixture.expectRefusedUnchanged(store, id) {
                    try store.recordProgress(id, "nope", processed: 1)
                }
                #expect(noPhase.category == .notFound)
                let noJob = try #require(throws: StoreError.self) {
                    try store.recordProgress(JobID(validating: "ghost"), "load", processed: 1)
                }
                #expect(noJob.category == .notFound)
            }
        }
    }

    @Test("JobSnapshot.progress follows the weighted formula, read back from disk")
    func progressFormula() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                #expect(try store.job(id)?.progress == 0)
                try store.startPhase(id, "load")
                #expect(try store.job(id)?.progress == 0, "a running phase with unknown total counts 0")
                try store.recordProgress(id, "load", processed: 5, total: 10)
                #expect(try store.job(id)?.progress == 0.125)
                try store.recordProgress(id, "load", processed: 10)
                try store.completePhase(id, "load")
                try store.startPhase(id, "chunk")
                try store.recordProgress(id, "chunk", processed: 1, total: 4, itemsFailed: 1)
                try store.startPhase(id, "embed")
                try store.recordProgress(id, "embed", processed: 3)
                return id
            }
            // load 1 · 0.25 + chunk 1/4 · 0.25 + embed (total unknown) 0 + index 0
            var job = try StoreFixture.reopened(path, id)
            #expect(job.progress == 0.3125)
            #expect(job.itemsFailed == 1)

            // A paused phase keeps its fraction; so does a failed one.
            try StoreFixture.withStore(at: path) { store in _ = try store.pausePhase(id, "chunk", reason: .budget) }
            job = try StoreFixture.reopened(path, id)
            #expect(job.progress == 0.3125)
            try StoreFixture.withStore(at: path) { store in
                try store.recordProgress(id, "embed", processed: 2, total: 4, itemsFailed: 2)
                _ = try store.failPhase(id, "embed", error: "embedder crashed")
            }
            job = try StoreFixture.reopened(path, id)
            #expect(job.status == .failed)
            #expect(job.progress == 0.4375)
            #expect(job.itemsFailed == 3)

            // A host's plan with its own weights.
            let plan = try Plan(phases: [PhaseSpec(name: "fetch", weight: 0.2), PhaseSpec(name: "store", weight: 0.8)])
            let hostID = try StoreFixture.withStore(at: path) { store in
                let hostID = try StoreFixture.submit(store, "host-job", plan: plan)
                try store.startPhase(hostID, "fetch")
                try store.completePhase(hostID, "fetch")
                try store.startPhase(hostID, "store")
                try store.recordProgress(hostID, "store", processed: 1, total: 2)
                return hostID
            }
            let hostJob = try StoreFixture.reopened(path, hostID)
            #expect(hostJob.record.plan == plan)
            #expect(abs(hostJob.progress - 0.6) < 1e-12)
        }
    }
}
