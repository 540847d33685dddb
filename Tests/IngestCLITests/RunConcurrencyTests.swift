import Foundation
import IngestTestSupport
import Testing

/// Two `ingest run` processes on one store (overlapping cron runs) never run one job twice.
@Suite("Run concurrency: two runners on one store")
struct RunConcurrencyTests {
    @Test("two runners, three jobs: both exit 0, each job claimed exactly once, export equals a sequential run's", .timeLimit(.minutes(TestTime.minutes(2))))
    func twoRunnersThreeJobs() async throws {
        let world = RunWorld("run-concurrent")
        // The embedder waits while `gate` exists, so a runner holds its job until the test
        // opens the gate — which it does only once both runners hold a job at the same time.
        let (gate, embedder) = try world.closedGateEmbedder()
        let ids = ["job-a", "job-b", "job-c"]
        var sources: [String] = []
        for (index, id) in ids.enumerated() {
            let source = world.path("source-\(id)")
            try RunCorpus.write(into: source, files: 12, bytes: 3 * 1024, seed: 30 + UInt64(index))
            sources.append(source)
            try await world.submit(source, id: id, embedder)
        }

        let first = try world.startRun(["--workers", "2"])
        defer { first.killIfRunning() }
        let second = try world.startRun(["--workers", "2"])
        defer { second.killIfRunning() }

        // Both runners hold a job at once: two jobs active, claimed by different processes.
        var activeWhileGated: [RunJobStatus] = []
        let bothHold = try await RunBlocking.poll {
            activeWhileGated = try await world.list().filter { $0.activity == "active" }
            return activeWhileGated.count == 2
        }
        #expect(bothHold, "never saw two jobs active at once: \(activeWhileGated)")
        var holders: [Int32] = []
        for job in activeWhileGated {
            let claims = try await world.history(job.id).filter { $0.event == "claimed" }
            #expect(claims.count == 1, "\(job.id) claimed \(claims.count) times while gated")
            holders += claims.compactMap(\.runnerPID)
        }
        #expect(Set(holders) == Set([first.pid, second.pid]), "holders \(holders), runners \(first.pid), \(second.pid)")

        try FileManager.default.removeItem(atPath: gate)
        let firstEnd = try await first.wait()
        let secondEnd = try await second.wait()
        #expect(!firstEnd.signalled && firstEnd.status == RunExit.ok, "first runner: \(firstEnd)")
        #expect(!secondEnd.signalled && secondEnd.status == RunExit.ok, "second runner: \(secondEnd)")

        var claimers: Set<Int32> = []
        for id in ids {
            let job = try await world.status(id)
            #expect(job.status == "completed" && job.activity == "idle", "\(job)")
            #expect(job.attempts == 0, "\(id): attempts \(job.attempts)")
            let history = try await world.history(id)
            let claims = history.filter { $0.event == "claimed" }
            #expect(claims.count == 1, "\(id) was claimed \(claims.count) times: \(history.map(\.event))")
            if let pid = claims.first?.runnerPID {
                #expect([first.pid, second.pid].contains(pid), "\(id) claimed by unknown pid \(pid)")
                claimers.insert(pid)
            }
            // claimed → every phase started once → every phase completed once, no pause in between.
            let claimIndex = try #require(history.firstIndex { $0.event == "claimed" })
            let after = history[claimIndex...].filter { $0.event == "transition" }
            for phase in ["load", "chunk", "embed", "index"] {
                let moves = after.filter { $0.phase == phase }.map { "\($0.from ?? "?")→\($0.to ?? "?")" }
                #expect(moves == ["not_started→running", "running→completed"], "\(id) \(phase): \(moves)")
            }
            #expect(job.phases.allSatisfy { $0.attempts == 1 }, "\(job)")
        }
        #expect(claimers == Set([first.pid, second.pid]), "both runners should have claimed: \(claimers)")

        // The same jobs run one after another in a fresh store index the same.
        let sequential = world.path("sequential")
        for (id, source) in zip(ids, sources) { try await world.submit(source, id: id, embedder, store: sequential) }
        let alone = try await world.run(store: sequential)
        #expect(alone.status == RunExit.ok, "sequential run: \(alone.status) \(alone.stderr)")
        let concurrentExport = try await world.export()
        let sequentialExport = try await world.export(store: sequential)
        #expect(!sequentialExport.isEmpty)
        #expect(concurrentExport == sequentialExport, "exports differ")
        #expect(Set(try await world.exportLines().map(\.source)) == Set(sources))
        try await world.expectVerifies()
    }

    @Test("two runners on one job: one runs it, the other finds nothing to do", .timeLimit(.minutes(TestTime.minutes(2))))
    func twoRunnersOneJob() async throws {
        let world = RunWorld("run-concurrent-one")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 150, bytes: 8 * 1024, seed: 35)
        // The gated embedder keeps the first runner on the job until the test opens the gate,
        // so the second runner certainly starts while the lease is held.
        let (gate, embedder) = try world.closedGateEmbedder()
        try await world.submit(source, id: "only", embedder)

        let first = try world.startRun(["--workers", "2"])
        defer { first.killIfRunning() }
        let holding = try await world.waitForStatus("only", "the first runner holds the job") { $0.activity == "active" }
        try #require(holding != nil)
        // The second runner starts while the first holds the job's lease.
        let second = try await world.run(["--workers", "2"])
        #expect(second.status == RunExit.ok, "second runner: \(second.status) \(second.stderr)")
        try FileManager.default.removeItem(atPath: gate)
        let firstEnd = try await first.wait()
        #expect(firstEnd.status == RunExit.ok, "first runner: \(firstEnd)")

        let history = try await world.history("only")
        let claims = history.filter { $0.event == "claimed" }
        #expect(claims.count == 1, "claimed \(claims.count) times")
        #expect(claims.first?.runnerPID == first.pid)
        let job = try await world.status("only")
        #expect(job.status == "completed")
        #expect(job.phase("load")?.processed == 150 && job.phase("chunk")?.processed == 150, "\(job)")
    }
}
