import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import Synchronization
import Testing

/// `ingest pause` then, quickly, `ingest resume` while a runner works on the job: the
/// resume can land after the run decided to stop for the hold but before its last
/// transaction. That transaction used to pause the running phases with reason `user`
/// again, undoing the resume: the job then showed "paused: user" without being held, no
/// runner would resume it, and every `ingest run` claimed it, could not complete it, and
/// exited 75. (Found by tools/soak.)
@Suite(.timeLimit(.minutes(TestTime.minutes(5)))) struct HoldResumeRaceTests {
    @Test("a resume landing while the run stops for the hold stands, and the next run completes the job")
    func resumeDuringStopForHold() async throws {
        let host = try Host()
        let n: UInt64 = 2000
        let id = try host.submit("hold-resume", n: n)
        let slow = SquareFetch(hook: { _ in
            try await Task.sleep(for: .milliseconds(1))
            return nil
        })
        let store = host.store
        let resumed = Mutex(false)
        // The poller is off, so the run sees the hold at a group commit, whose progress event
        // shows the phases paused by the user. The resume is written from inside that event,
        // which the run waits for: it lands after the run decided to stop and before the
        // run's last transaction, every time.
        let configuration = testConfiguration(workers: 2, commitItems: 8, holdPollInterval: .seconds(3600))
        let runner = host.runner(configuration, fetch: slow) { event in
            guard case .progress(let job, let phases) = event, job == id,
                phases.contains(where: { $0.status == .paused }) else { return }
            let first = resumed.withLock { done in
                defer { done = true }
                return !done
            }
            if first { _ = try? store.release(id) }
        }
        let run = Task { try await runner.boundedRun(stop: StopController()) }
        let progressed = try await host.waitFor(id) { $0.phases[0].processed > 0 }
        try #require(progressed, "the run made progress")
        try host.store.hold(id)
        let first = try await run.value

        #expect(resumed.withLock { $0 }, "the run saw the hold at a group commit")
        #expect(first.outcome(of: id) == .paused(.user))
        #expect(first.workRemains, "resumed, the job is work for the next run")
        let after = try host.snapshot(id)
        #expect(!after.record.held)
        #expect(after.lease == nil, "the lease is released")
        #expect(after.activity == .interrupted)
        // Required: with the resume undone, the next run would wait forever for a phase
        // that cannot complete (it stays paused by the user).
        try #require(after.phases.allSatisfy { $0.pauseReason != .user }, "the resume was undone: \(after.phases)")

        let second = try await host.runner(testConfiguration(workers: 4, commitItems: 64)).boundedRun(stop: StopController())
        #expect(second.outcome(of: id) == .completed)
        try expectCompletedExactlyOnce(host, id, n: n)
    }
}
