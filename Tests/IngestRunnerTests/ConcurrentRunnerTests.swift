import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import Testing

/// Two runners on one store never run one job twice.
@Suite(.timeLimit(.minutes(TestTime.minutes(5)))) struct ConcurrentRunnerTests {
    @Test("two runners in one process share three jobs: each job is claimed once and completes exactly once")
    func twoRunnersThreeJobs() async throws {
        let host = try Host()
        let n: UInt64 = 300
        let ids = try (0..<3).map { try host.submit("shared-\($0)", n: n) }
        let slow = SquareFetch(hook: { _ in
            try await Task.sleep(for: .milliseconds(1))
            return nil
        })
        let first = host.runner(testConfiguration(workers: 2, commitItems: 16), fetch: slow)
        let second = host.runner(testConfiguration(workers: 2, commitItems: 16), fetch: slow)

        async let a = first.boundedRun(stop: StopController())
        async let b = second.boundedRun(stop: StopController())
        let reports = try await [a, b]

        let ran = reports.flatMap { $0.outcomes.map(\.0) }
        #expect(ran.sorted() == ids.sorted(), "each job ran in exactly one of the runners")
        #expect(reports.allSatisfy { $0.outcomes.allSatisfy { $0.1 == .completed } })
        for id in ids {
            #expect(try host.claims(id) == 1)
            try expectCompletedExactlyOnce(host, id, n: n)
        }
    }

    @Test("runners in one process on two stores run jobs that have the same id")
    func sameJobIDInTwoStores() async throws {
        let hosts = try [Host(), Host()]
        let n: UInt64 = 200
        let id = try JobID(validating: "same-id-\(UInt32.random(in: 0...UInt32.max))")
        for host in hosts {
            _ = try host.store.submit(id: id, source: "1...\(n)", plan: try Host.plan(), settings: Array("\(n)".utf8))
        }
        // The first runner holds its job (at item 1) while the second runs on the other store.
        let gate = Gate()
        let held = SquareFetch(hook: { value in
            if value == 1 { await gate.wait() }
            return nil
        })
        let firstRun = Task { try await hosts[0].runner(testConfiguration(workers: 1), fetch: held).boundedRun(stop: StopController()) }
        while gate.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let second = try await hosts[1].runner(testConfiguration(workers: 1)).boundedRun(stop: StopController())
        gate.open()
        let first = try await firstRun.value

        #expect(first.outcome(of: id) == .completed)
        try expectCompletedExactlyOnce(hosts[0], id, n: n)
        let secondStatus = try hosts[1].snapshot(id).status
        #expect(second.outcome(of: id) == .completed)
        #expect(secondStatus == .completed)
    }
}
