import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

@Suite("A job's life through the store")
struct JobLifecycleStoreTests {
    @Test("pending → running → failed → retried → completed, with attempts and journal")
    func failRetryComplete() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let clock = SteppingStoreClock()
            var statuses: [JobStatus] = []
            let id = try StoreFixture.withStore(at: path, clock: clock.function) { store in
                /// Reads the status back, checks the index agrees, and remembers it.
                func record(_ id: JobID, sourceLocation: SourceLocation = #_sourceLocation) throws {
                    let job = try #require(try store.job(id), sourceLocation: sourceLocation)
                    statuses.append(job.status)
                    #expect(try store.jobs(status: job.status).map(\.id) == [id], sourceLocation: sourceLocation)
                    try StoreFixture.expectSound(store, sourceLocation: sourceLocation)
                }
                let id = try StoreFixture.submit(store, "lifecycle")
                try record(id)

                try store.startPhase(id, "load")
                try store.recordProgress(id, "load", processed: 4, total: 10, checkpoint: [0, 4])
                try record(id)

                let failed = try store.failPhase(id, "load", error: "source unreadable")
                #expect(failed.status == .failed)
                #expect(failed.currentPhaseName == "load")
                try record(id)
                return id
            }
            // The failure is on disk: a new process would see it.
            let afterFailure = try StoreFixture.reopened(path, id)
            #expect(afterFailure.status == .failed)
            #expect(afterFailure.phases[0].lastError == "source unreadable")
            #expect(afterFailure.phases[0].attempts == 1)

            try StoreFixture.withStore(at: path, clock: clock.function) { store in
                func record(_ id: JobID, sourceLocation: SourceLocation = #_sourceLocation) throws {
                    let job = try #require(try store.job(id), sourceLocation: sourceLocation)
                    statuses.append(job.status)
                    #expect(try store.jobs(status: job.status).map(\.id) == [id], sourceLocation: sourceLocation)
                    try StoreFixture.expectSound(store, sourceLocation: sourceLocation)
                }
                let retried = try store.retryFailedPhases(id)
                #expect(retried.status == .running)
                #expect(retried.phases[0].status == .running)
                #expect(retried.phases[0].attempts == 2, "a retry is an attempt")
                #expect(retried.phases[0].processed == 4, "a retry restarts from the checkpoint")
                #expect(retried.phases[0].checkpoint == [0, 4])
                #expect(retried.phases[0].lastError == "source unreadable", "the error recovered from stays readable")
                try record(id)

                try store.recordProgress(id, "load", processed: 10)
                try store.completePhase(id, "load")
                for phase in ["chunk", "embed", "index"] {
                    try store.startPhase(id, phase)
                    try store.recordProgress(id, phase, processed: 5, total: 5)
                    try store.completePhase(id, phase)
                }
                try record(id)
            }
            #expect(statuses == [.pending, .running, .failed, .running, .completed])

            let done = try StoreFixture.reopened(path, id)
            #expect(done.status == .completed)
            #expect(done.currentPhase == nil)
            #expect(done.progress == 1)
            #expect(done.phases.map(\.attempts) == [2, 1, 1, 1])
            #expect(done.phases.allSatisfy { $0.status == .completed && $0.completedAt != nil })

            let journal = try StoreFixture.reopenedJournal(path, id)
            let expected: [JournalEntry.Event] = [
                .submitted,
                .transition(phase: 0, from: .notStarted, to: .running, reason: nil, error: nil),
                .transition(phase: 0, from: .running, to: .failed, reason: nil, error: "source unreadable"),
                .transition(phase: 0, from: .failed, to: .running, reason: nil, error: nil),
                .transition(phase: 0, from: .running, to: .completed, reason: nil, error: nil),
                .transition(phase: 1, from: .notStarted, to: .running, reason: nil, error: nil),
                .transition(phase: 1, from: .running, to: .completed, reason: nil, error: nil),
                .transition(phase: 2, from: .notStarted, to: .running, reason: nil, error: nil),
                .transition(phase: 2, from: .running, to: .completed, reason: nil, error: nil),
                .transition(phase: 3, from: .notStarted, to: .running, reason: nil, error: nil),
                .transition(phase: 3, from: .running, to: .completed, reason: nil, error: nil),
            ]
            #expect(StoreFixture.events(journal) == expected)
            #expect(journal.map(\.sequence) == Array(0..<UInt64(expected.count)))
            let times = journal.map(\.time)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "each line has its batch's time: \(times)")
        }
    }

    @Test("retrying a job retries every failed phase in one write")
    func retryRetriesEveryFailedPhase() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "two-failures")
                try StoreFixture.drive(store, id, "load", to: .completed)
                try StoreFixture.drive(store, id, "chunk", to: .completed)
                try store.startPhase(id, "embed")
                try store.startPhase(id, "index")
                try store.failPhase(id, "embed", error: "embedder exited 1")
                try store.failPhase(id, "index", error: "index write failed")
                #expect(try store.job(id)?.status == .failed)
                let before = try store.journal(id).count
                let retried = try store.retryFailedPhases(id)
                #expect(try store.journal(id).count == before + 2, "one line per retried phase")
                #expect(retried.phases.map(\.status) == [.completed, .completed, .running, .running])
                return id
            }
            let job = try StoreFixture.reopened(path, id)
            #expect(job.status == .running)
            #expect(job.phases.map(\.attempts) == [1, 1, 2, 2])
            #expect(job.phases.map(\.lastError) == [nil, nil, "embedder exited 1", "index write failed"])
            #expect(StoreFixture.events(try StoreFixture.reopenedJournal(path, id)).suffix(2) == [
                .transition(phase: 2, from: .failed, to: .running, reason: nil, error: nil),
                .transition(phase: 3, from: .failed, to: .running, reason: nil, error: nil),
            ])
        }
    }

    /// Edge boxes often have no real-time clock; no rule may depend on the time, not even
    /// on a clock that reads 1970-01-01T00:00:00.000Z.
    @Test("attempts do not depend on the clock")
    func attemptsWithZeroClock() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let epoch: @Sendable () -> Timestamp = { Timestamp(millisecondsSince1970: 0) }
            let id = try StoreFixture.withStore(at: path, clock: epoch) { store in
                let id = try StoreFixture.submit(store, "no-rtc")
                try store.startPhase(id, "load")
                try store.pausePhase(id, "load", reason: .shutdown)
                try store.resumePhase(id, "load")
                return id
            }
            let job = try StoreFixture.reopened(path, id)
            #expect(job.phases[0].status == .running)
            #expect(job.phases[0].attempts == 1, "a resume is not an attempt, whatever the clock says")
        }
    }

    @Test("embed and index pause and resume while streaming, persisted with reasons")
    func pauseAndResumeStreamingPhases() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "streaming")
                for phase in ["load", "chunk"] {
                    try store.startPhase(id, phase)
                    try store.completePhase(id, phase)
                }
                try store.startPhase(id, "embed")
                try store.recordProgress(id, "embed", processed: 3, total: 8)
                // Streaming: index starts while embed still runs.
                let streaming = try store.startPhase(id, "index")
                #expect(streaming.phases.map(\.status) == [.completed, .completed, .running, .running])
                // But it cannot finish before embed does.
                let early = try StoreFixture.expectRefusedUnchanged(store, id) { try store.completePhase(id, "index") }
                #expect(early.category == .conflict)

                try store.pausePhase(id, "embed", reason: .shutdown)
                return id
            }

            var job = try StoreFixture.reopened(path, id)
            #expect(job.status == .running)
            #expect(job.phase(named: "embed")?.state.status == .paused)
            #expect(job.phase(named: "embed")?.state.pauseReason == .shutdown)
            #expect(job.phase(named: "embed")?.state.processed == 3)
            #expect(job.phase(named: "index")?.state.status == .running)
            #expect(job.currentPhase == 2)
            #expect(job.currentPhaseName == "embed")

            try StoreFixture.withStore(at: path) { store in _ = try store.pausePhase(id, "index", reason: .budget) }
            job = try StoreFixture.reopened(path, id)
            #expect(job.phases.map(\.status) == [.completed, .completed, .paused, .paused])
            #expect(job.phases.map(\.pauseReason) == [nil, nil, .shutdown, .budget])
            #expect(job.currentPhaseName == "embed")
            #expect(job.status == .running)

            try StoreFixture.withStore(at: path) { store in
                try store.resumePhase(id, "embed")
                try store.recordProgress(id, "embed", processed: 8)
                try store.completePhase(id, "embed")
            }
            job = try StoreFixture.reopened(path, id)
            #expect(job.phases.map(\.status) == [.completed, .completed, .completed, .paused])
            #expect(job.currentPhase == 3)
            #expect(job.currentPhaseName == "index")
            #expect(job.phase(named: "index")?.state.pauseReason == .budget)
            #expect(job.phase(named: "embed")?.state.attempts == 1, "a resume is not an attempt")

            try StoreFixture.withStore(at: path) { store in
                let resumed = try store.resumePhase(id, "index")
                #expect(resumed.phases[3].pauseReason == nil)
                try store.completePhase(id, "index")
            }
            job = try StoreFixture.reopened(path, id)
            #expect(job.status == .completed)
            #expect(job.currentPhase == nil)
            #expect(job.phase(named: "index")?.state.attempts == 1, "a resume is not an attempt")

            let journal = try StoreFixture.reopenedJournal(path, id)
            let pauses = StoreFixture.events(journal).filter {
                if case .transition(_, _, let to, _, _) = $0 { return to == .paused }
                return false
            }
            #expect(pauses == [
                .transition(phase: 2, from: .running, to: .paused, reason: .shutdown, error: nil),
                .transition(phase: 3, from: .running, to: .paused, reason: .budget, error: nil),
            ])
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in try StoreFixture.expectSound(store) }
        }
    }
}
