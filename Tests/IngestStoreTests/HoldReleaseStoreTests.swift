import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

@Suite("User pause (hold) and resume (release)")
struct HoldReleaseStoreTests {
    @Test("holding a pending job holds its first phase before it starts")
    func holdPending() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                let held = try store.hold(id)
                #expect(held.record.held)
                return id
            }
            let job = try StoreFixture.reopened(path, id)
            #expect(job.record.held)
            #expect(job.phases[0].status == .paused)
            #expect(job.phases[0].pauseReason == .user)
            #expect(job.phases[0].attempts == 0, "holding is not starting")
            #expect(job.phases.dropFirst().allSatisfy { $0.status == .notStarted })
            #expect(job.activity == .held)
            #expect(job.currentPhaseName == "load")
            #expect(StoreFixture.events(try StoreFixture.reopenedJournal(path, id)) == [
                .submitted, .held,
                .transition(phase: 0, from: .notStarted, to: .paused, reason: .user, error: nil),
            ])
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in try StoreFixture.expectSound(store) }
        }
    }

    @Test("releasing a held pending job lets its first phase run")
    func releaseHeldPending() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.hold(id)
                try store.release(id)
                return id
            }
            let job = try StoreFixture.reopened(path, id)
            #expect(job.record.held == false)
            #expect(job.phases[0].status == .running)
            #expect(job.phases[0].pauseReason == nil)
            #expect(job.activity == .interrupted)
            #expect(StoreFixture.events(try StoreFixture.reopenedJournal(path, id)).suffix(2) == [
                .released, .transition(phase: 0, from: .paused, to: .running, reason: nil, error: nil),
            ])
            // Released, the phase runs for the first time: that is its first attempt.
            #expect(job.phases[0].attempts == 1)
            #expect(job.phases[0].startedAt != nil)
        }
    }

    @Test("holding a running job pauses every active phase with reason user; release resumes them")
    func holdAndReleaseRunning() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let journalBeforeHold = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.completePhase(id, "load")
                try store.startPhase(id, "chunk")
                try store.startPhase(id, "embed")
                try store.recordProgress(id, "embed", processed: 2, total: 9, checkpoint: [2])
                try store.startPhase(id, "index")
                try store.pausePhase(id, "index", reason: .budget)
                return try store.journal(id).count
            }
            let id = try JobID(validating: "job-1")

            try StoreFixture.withStore(at: path) { store in _ = try store.hold(id) }
            var job = try StoreFixture.reopened(path, id)
            #expect(job.record.held)
            #expect(job.phases.map(\.status) == [.completed, .paused, .paused, .paused])
            #expect(job.phases.map(\.pauseReason) == [nil, .user, .user, .user])
            #expect(job.phases[2].processed == 2, "holding keeps progress")
            #expect(job.phases[2].checkpoint == [2])
            #expect(job.status == .running)
            #expect(job.activity == .held)
            let holdLines = Array(StoreFixture.events(try StoreFixture.reopenedJournal(path, id)).dropFirst(journalBeforeHold))
            #expect(holdLines == [
                .held,
                .transition(phase: 1, from: .running, to: .paused, reason: .user, error: nil),
                .transition(phase: 2, from: .running, to: .paused, reason: .user, error: nil),
                .transition(phase: 3, from: .paused, to: .paused, reason: .user, error: nil),
            ])

            try StoreFixture.withStore(at: path) { store in _ = try store.release(id) }
            job = try StoreFixture.reopened(path, id)
            #expect(job.record.held == false)
            #expect(job.phases.map(\.status) == [.completed, .running, .running, .running])
            #expect(job.phases.allSatisfy { $0.pauseReason == nil })
            #expect(job.phases.map(\.attempts) == [1, 1, 1, 1], "a resume is not an attempt")
            #expect(job.activity == .interrupted)
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in try StoreFixture.expectSound(store) }
        }
    }

    @Test("release leaves phases paused for other reasons alone")
    func releaseOnlyUserPauses() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.startPhase(id, "chunk")
                try store.pausePhase(id, "load", reason: .user)
                try store.pausePhase(id, "chunk", reason: .diskFull)
                let released = try store.release(id)
                #expect(released.phases[0].status == .running)
                #expect(released.phases[1].status == .paused)
                #expect(released.phases[1].pauseReason == .diskFull)
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("holding twice or releasing twice changes nothing")
    func holdAndReleaseAreIdempotent() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.hold(id)

                let journalLength = try store.journal(id).count
                let bytes = try StoreFixture.dataFile(store.path)
                let before = try #require(try store.job(id))
                let again = try store.hold(id)
                #expect(again.record == before.record)
                #expect(again.phases == before.phases)
                #expect(try store.journal(id).count == journalLength)
                #expect(try StoreFixture.dataFile(store.path) == bytes, "a second hold wrote to the store")

                try store.release(id)
                let releasedLength = try store.journal(id).count
                let releasedBytes = try StoreFixture.dataFile(store.path)
                try store.release(id)
                #expect(try store.journal(id).count == releasedLength)
                #expect(try StoreFixture.dataFile(store.path) == releasedBytes, "a second release wrote to the store")
                #expect(try store.job(id)?.record.held == false)
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("holding a completed or failed job is a conflict and writes nothing", arguments: [JobStatus.completed, .failed])
    func holdTerminalRefused(_ status: JobStatus) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                if status == .completed {
                    try StoreFixture.completeAll(store, id)
                } else {
                    try StoreFixture.drive(store, id, "load", to: .failed)
                }
                #expect(try store.job(id)?.status == status)
                let error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.hold(id) }
                #expect(error.category == .conflict)
                #expect(error.transitionError != nil)
                #expect(try store.job(id)?.record.held == false)
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("a held job that failed cannot be retried until it is released")
    func retryOfHeldJobRefused() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                try store.hold(id)
                try store.failPhase(id, "load", error: "gave up")
                #expect(try store.job(id)?.status == .failed)
                let error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.retryFailedPhases(id) }
                #expect(error.category == .conflict)
                #expect(error.description.contains("resume"), "the message should say what to do: \(error)")
                try store.release(id)
                let retried = try store.retryFailedPhases(id)
                #expect(retried.status == .running)
                #expect(retried.phases[0].attempts == 2)
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("a held job's phases do not start or resume until the job is released")
    func heldJobStaysStill() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                var held: [JobID] = []
                for name in ["start-me", "resume-me"] {
                    let id = try StoreFixture.submit(store, name)
                    try StoreFixture.drive(store, id, "load", to: .completed)
                    try store.startPhase(id, "chunk")
                    try store.hold(id)
                    #expect(try store.job(id)?.phases.map(\.status) == [.completed, .paused, .notStarted, .notStarted])
                    held.append(id)
                }
                let start = try StoreFixture.expectRefusedUnchanged(store, held[0]) { try store.startPhase(held[0], "embed") }
                #expect(start.category == .conflict)
                #expect(start.description.contains("resume"), "the message should say what to do: \(start)")
                let resume = try StoreFixture.expectRefusedUnchanged(store, held[1]) { try store.resumePhase(held[1], "chunk") }
                #expect(resume.category == .conflict)

                // Like retryFailedPhases (see retryOfHeldJobRefused), retryPhase waits for the release.
                let failed = try StoreFixture.submit(store, "retry-me")
                try store.startPhase(failed, "load")
                try store.hold(failed)
                try store.failPhase(failed, "load", error: "gave up")
                let retry = try StoreFixture.expectRefusedUnchanged(store, failed) { try store.retryPhase(failed, "load") }
                #expect(retry.category == .conflict)

                // A runner may still stop its work while the job is held: pause and fail stay allowed.
                #expect(try store.failPhase(held[1], "chunk", error: "stopped").status == .failed)

                // After the release everything runs again.
                try store.release(held[0])
                #expect(try store.startPhase(held[0], "embed").phases.map(\.status) == [.completed, .running, .running, .notStarted])
                try StoreFixture.expectSound(store)
            }
        }
    }

    @Test("retrying a job with no failed phase is a conflict")
    func retryWithoutFailure() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                let error = try StoreFixture.expectRefusedUnchanged(store, id) { try store.retryFailedPhases(id) }
                #expect(error.category == .conflict)
            }
        }
    }
}
