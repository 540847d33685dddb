import IngestCore
import IngestRunner
import IngestStore
import Testing

/// The example host's job, run to completion: every number squared and tallied exactly
/// once, whatever the group-commit size and the number of workers.
@Suite struct HostExampleTests {
    @Test("sum of squares is exact for every group-commit size and worker count", arguments: [1, 7, 256], [1, 4])
    func sumOfSquaresExactlyOnce(commitItems: Int, workers: Int) async throws {
        let host = try Host()
        let n: UInt64 = commitItems == 1 ? 200 : 1000
        let id = try host.submit("squares", n: n)
        let runner = host.runner(testConfiguration(workers: workers, commitItems: commitItems))

        let report = try await runner.boundedRun(stop: StopController())

        #expect(report.error == nil)
        #expect(report.outcome(of: id) == .completed)
        #expect(report.outcomes.count == 1)
        #expect(!report.failed)
        #expect(!report.workRemains)
        try expectCompletedExactlyOnce(host, id, n: n)
        #expect(try host.claims(id) == 1)
        #expect(try host.snapshot(id).progress == 1)
    }

    @Test("a second run of a completed job does nothing")
    func completedJobIsNotRunAgain() async throws {
        let host = try Host()
        let id = try host.submit("again", n: 100)
        _ = try await host.runner(testConfiguration()).boundedRun(stop: StopController())
        let calls = Counter()
        let fetch = SquareFetch(hook: { _ in calls.increment(); return nil })

        let report = try await host.runner(testConfiguration(), fetch: fetch).boundedRun(stop: StopController())

        #expect(report.outcomes.isEmpty)
        #expect(!report.workRemains)
        #expect(calls.current == 0)
        try expectCompletedExactlyOnce(host, id, n: 100)
    }

    @Test("the tally starts while the fetch still runs: the phases stream")
    func phasesStream() async throws {
        let host = try Host()
        let n: UInt64 = 600
        let id = try host.submit("stream", n: n)
        let log = EventLog()
        let fetch = SquareFetch(hook: { _ in
            try await Task.sleep(for: .milliseconds(1))
            return nil
        })
        let runner = host.runner(testConfiguration(workers: 2, commitItems: 16), fetch: fetch, events: log.append)

        let report = try await runner.boundedRun(stop: StopController())

        #expect(report.outcome(of: id) == .completed)
        try expectCompletedExactlyOnce(host, id, n: n)

        // The journal: tally not_started→running comes before fetch running→completed.
        let journal = try host.store.journal(id).map(\.event)
        let tallyStarted = journal.firstIndex {
            if case .transition(1, .notStarted, .running, _, _) = $0 { true } else { false }
        }
        let fetchCompleted = journal.firstIndex {
            if case .transition(0, .running, .completed, _, _) = $0 { true } else { false }
        }
        let started = try #require(tallyStarted)
        let completed = try #require(fetchCompleted)
        #expect(started < completed)

        // The events: tally items were committed before the fetch completed.
        let streamed = log.all.contains { event in
            guard case .progress(let job, let phases) = event, job == id, phases.count == 2 else { return false }
            return phases[0].status != .completed && phases[1].processed > 0
        }
        #expect(streamed, "a progress event shows tally progress while fetch is not completed")
        let completions = log.all.compactMap { event -> String? in
            if case .phaseCompleted(id, let phase) = event { phase } else { nil }
        }
        #expect(completions == ["fetch", "tally"])
    }
}
