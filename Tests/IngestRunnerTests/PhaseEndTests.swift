import IngestCore
import IngestRunner
import Testing

/// A phase's last items are committed as soon as they finish — the phase then completes
/// and the next phase goes on — without waiting for the group-commit interval, however
/// large it is and whatever the item and byte bounds are.
@Suite struct PhaseEndTests {
    @Test("an item that finishes after its phase's input ran out is committed at once, not after the interval")
    func lastItemAfterExhaustionIsCommitted() async throws {
        let host = try Host()
        let n: UInt64 = 40
        let id = try host.submit("last", n: n)
        // The last number is slow, so the fetcher finds its input exhausted (and flushes
        // what is ready) while that item is still being worked on.
        let slowLast = SquareFetch(hook: { value in
            if value == n { try await Task.sleep(for: .milliseconds(300)) }
            return nil
        })
        // No bound and no interval can fire during the run: only the end of a phase may commit.
        let configuration = RunnerConfiguration(
            workers: 2, groupCommitItems: 10_000, groupCommitInterval: .seconds(3600), shutdownGrace: .seconds(2)
        )
        // Bounded: were the item left for the interval, the run would wait an hour; it is
        // stopped after 30 s instead, recorded as hung, and the job is paused, not completed.
        let report = try await host.runner(configuration, fetch: slowLast).boundedRun(limit: .seconds(30))

        #expect(report.outcome(of: id) == .completed, "the run did not complete: \(String(describing: report.outcome(of: id)))")
        try expectCompletedExactlyOnce(host, id, n: n)
    }
}
