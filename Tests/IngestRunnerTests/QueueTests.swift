import IngestCore
import IngestRunner
import IngestStore
import Testing

/// The durable queue between the phases.
@Suite struct QueueTests {
    @Test("the tally catches up with the fetch and drains its queue many times: no item is lost")
    func drainedQueueLosesNothing() async throws {
        let host = try Host()
        let n: UInt64 = 150
        let id = try host.submit("drain", n: n)
        // A slow producer and a one-item group commit: the consumer empties the queue after
        // almost every commit, and the producer then appends to an empty queue.
        let slow = SquareFetch(hook: { _ in
            try await Task.sleep(for: .milliseconds(3))
            return nil
        })

        let report = try await host.runner(testConfiguration(workers: 1, commitItems: 1), fetch: slow)
            .boundedRun(stop: StopController())

        #expect(report.outcome(of: id) == .completed)
        try expectCompletedExactlyOnce(host, id, n: n)
    }

    @Test("a fetch batch of many items hands each on once")
    func batchedWorker() async throws {
        let host = try Host()
        let n: UInt64 = 500
        let id = try host.submit("batched", n: n)
        let calls = Counter()
        var batched = SquareFetch(hook: { _ in
            calls.increment()
            return nil
        })
        batched.batchSize = 32

        let report = try await host.runner(testConfiguration(workers: 2, commitItems: 50), fetch: batched)
            .boundedRun(stop: StopController())

        #expect(report.outcome(of: id) == .completed)
        #expect(calls.current == Int(n))
        try expectCompletedExactlyOnce(host, id, n: n)
    }
}
