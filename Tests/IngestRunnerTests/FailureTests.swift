import IngestCore
import IngestRunner
import IngestStore
import Testing

/// Bad items are recorded and skipped; a phase fails only past its item-failure limit or
/// when its worker keeps throwing after the retries.
@Suite struct FailureTests {
    static func rejectingMultiplesOfTen() -> SquareFetch {
        SquareFetch(hook: { value in value % 10 == 0 ? "multiple of ten: \(value)" : nil })
    }

    @Test("rejected items get failed receipts with their reasons and the job completes")
    func itemFailuresAreRecordedAndSkipped() async throws {
        let host = try Host()
        let n: UInt64 = 500
        let id = try host.submit("rejects", n: n)

        let report = try await host.runner(testConfiguration(commitItems: 16), fetch: Self.rejectingMultiplesOfTen())
            .boundedRun(stop: StopController())

        #expect(report.outcome(of: id) == .completed)
        #expect(!report.failed)
        let job = try host.snapshot(id)
        #expect(job.status == .completed)
        #expect(job.itemsFailed == n / 10)
        #expect(job.phases.map(\.itemsFailed) == [n / 10, 0])
        #expect(job.phases.map(\.processed) == [n, n - n / 10], "a failed item counts as processed in its phase only")
        let failed = try host.store.failedItems(id)
        #expect(failed.map { number($0.itemKey) } == Array(stride(from: 10, through: n, by: 10)))
        #expect(failed.allSatisfy { $0.phase == 0 })
        #expect(failed.allSatisfy { $0.failure == "multiple of ten: \(number($0.itemKey))" })
        let expected = (1...n).filter { $0 % 10 != 0 }
        #expect(try host.seen(id) == expected)
        #expect(try host.total(id) == expected.reduce(0) { $0 + $1 * $1 })
        #expect(try host.duplicates(id) == 0)
        #expect(try host.store.queueLength(id, phase: 1) == 0)
    }

    @Test("past maxItemFailures the phase fails with the limit in its error")
    func tooManyItemFailuresFailThePhase() async throws {
        let host = try Host()
        let id = try host.submit("too-many", n: 500)

        let report = try await host.runner(
            testConfiguration(commitItems: 16, maxItemFailures: 5), fetch: Self.rejectingMultiplesOfTen()
        ).boundedRun(stop: StopController())

        #expect(report.failed)
        #expect(!report.workRemains)
        guard case .failed(let phase, let error) = report.outcome(of: id) else {
            Issue.record("expected a failed outcome, got \(String(describing: report.outcome(of: id)))")
            return
        }
        #expect(phase == "fetch")
        #expect(error.contains("limit of 5"))
        let job = try host.snapshot(id)
        #expect(job.status == .failed)
        #expect(job.activity == .idle)
        #expect(job.lease == nil)
        #expect(job.phases[0].status == .failed)
        #expect(job.phases[0].lastError?.contains("limit of 5") == true)
        #expect(job.phases[0].itemsFailed > 5)
        let failedReceipts = try host.store.failedItems(id).count
        try expectNothingTwice(host, id)
        // Intermittent: it takes items finished after the failing commit, which is timing.
        // Receipts past the failed phase's checkpoint mean items whose outputs were written
        // although the phase's progress does not count them.
        #expect(failedReceipts == Int(job.phases[0].itemsFailed))

        // A failed job is not picked up again.
        let again = try await host.runner(testConfiguration()).boundedRun(stop: StopController())
        #expect(again.outcomes.isEmpty)
    }

    @Test("retrying a phase failed for too many bad items redoes no item that was already handed on")
    func retryAfterItemFailureLimit() async throws {
        let host = try Host()
        let n: UInt64 = 500
        let id = try host.submit("retry", n: n)
        let first = try await host.runner(
            testConfiguration(commitItems: 16, maxItemFailures: 5), fetch: Self.rejectingMultiplesOfTen()
        ).boundedRun(stop: StopController())
        try #require(first.failed)
        let failed = try host.snapshot(id)
        let checkpoint = number(failed.phases[0].checkpoint)

        // `ingest retry`: the failed phase runs again from its checkpoint; the backend is fixed.
        try host.store.retryFailedPhases(id)
        let second = try await host.runner(testConfiguration(commitItems: 16)).boundedRun(stop: StopController())

        #expect(second.outcome(of: id) == .completed)
        let job = try host.snapshot(id)
        #expect(job.status == .completed)
        // Every number is tallied except those rejected up to the checkpoint, each once.
        let expected = (1...n).filter { !($0 % 10 == 0 && $0 <= checkpoint) }
        let duplicates = try host.duplicates(id)
        let seen = try host.seen(id)
        let total = try host.total(id)
        #expect(duplicates == 0)
        #expect(total == expected.reduce(0) { $0 + $1 * $1 })
        #expect(seen == expected)
    }

    @Test("a worker that throws a few times is retried with backoff and the job completes")
    func transientWorkerErrorsAreRetried() async throws {
        let host = try Host()
        let n: UInt64 = 200
        let id = try host.submit("flaky", n: n)
        let calls = Counter()
        let flaky = SquareFetch(hook: { _ in
            if calls.increment() <= 2 { throw HostError(description: "backend busy") }
            return nil
        })

        let report = try await host.runner(testConfiguration(workers: 1, maxRetries: 3), fetch: flaky)
            .boundedRun(stop: StopController())

        #expect(report.outcome(of: id) == .completed)
        #expect(calls.current == Int(n) + 2)
        try expectCompletedExactlyOnce(host, id, n: n)
    }

    @Test("a worker that always throws fails the phase after maxRetries with the error text")
    func persistentWorkerErrorsFailThePhase() async throws {
        let host = try Host()
        let id = try host.submit("broken", n: 200)
        let calls = Counter()
        let broken = SquareFetch(hook: { _ in
            calls.increment()
            throw HostError(description: "backend unreachable")
        })

        let report = try await host.runner(testConfiguration(workers: 1, commitItems: 4, maxRetries: 2), fetch: broken)
            .boundedRun(stop: StopController())

        #expect(report.failed)
        guard case .failed(let phase, let error) = report.outcome(of: id) else {
            Issue.record("expected a failed outcome, got \(String(describing: report.outcome(of: id)))")
            return
        }
        #expect(phase == "fetch")
        #expect(error.contains("backend unreachable"))
        #expect(error.contains("3 attempts"))
        let job = try host.snapshot(id)
        #expect(job.status == .failed)
        #expect(job.phases[0].status == .failed)
        #expect(job.phases[0].lastError?.contains("backend unreachable") == true)
        #expect(job.phases[0].processed == 0)
        #expect(calls.current >= 3, "one try and two retries")
        #expect(try host.total(id) == 0)
    }

    /// The fetch phase with a commit that throws for one item, as a host's database write might.
    struct FailingCommit: PhaseWorker {
        let failAt: UInt64

        func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
            items.map { .done(number($0.key) * number($0.key)) }
        }

        func commit(_ square: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
            if number(item.key) == failAt { throw HostError(description: "the host's table is locked") }
            return [WorkItem(key: item.key, payload: bytes(square))]
        }
    }

    @Test("a group commit that throws fails the phase with the error and the run returns (no retry loop)")
    func failingCommitEndsTheRun() async throws {
        let host = try Host()
        let id = try host.submit("commit-throws", n: 200)
        let databases = host.databases
        let runner = Runner(
            store: host.store, configuration: testConfiguration(workers: 2, commitItems: 8),
            factory: { _ in JobDefinition(source: NumberSource(), workers: [FailingCommit(failAt: 50), Tally(databases: databases)]) },
            logger: quietLogger
        )

        let report = try await runner.boundedRun(limit: .seconds(30))

        guard case .failed(let phase, let error) = report.outcome(of: id) else {
            Issue.record("expected a failed outcome, got \(String(describing: report.outcome(of: id)))")
            return
        }
        #expect(phase == "fetch")
        #expect(error.contains("the host's table is locked"), "\(error)")
        let job = try host.snapshot(id)
        #expect(job.status == .failed)
        // Items commit in order, so the group holding item 50 and everything after it is not written.
        #expect(job.phases[0].processed < 50)
    }

    @Test("a factory that throws fails the job with its error")
    func factoryErrorFailsTheJob() async throws {
        let host = try Host()
        let id = try host.submit("no-setup", n: 10)
        let runner = Runner(
            store: host.store, configuration: testConfiguration(),
            factory: { _ in throw HostError(description: "no such backend") },
            logger: quietLogger
        )

        let report = try await runner.boundedRun(stop: StopController())

        #expect(report.outcome(of: id) == .failed(phase: "fetch", error: "no such backend"))
        let job = try host.snapshot(id)
        #expect(job.status == .failed)
        #expect(job.lease == nil)
    }

    /// A job that did not complete still has every tallied item once and a matching total.
    func expectNothingTwice(_ host: Host, _ id: JobID, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let seen = try host.seen(id)
        #expect(try host.duplicates(id) == 0, sourceLocation: sourceLocation)
        #expect(try host.total(id) == seen.reduce(0) { $0 + $1 * $1 }, sourceLocation: sourceLocation)
        #expect(UInt64(seen.count) == (try host.snapshot(id).phases[1].processed), sourceLocation: sourceLocation)
    }
}
