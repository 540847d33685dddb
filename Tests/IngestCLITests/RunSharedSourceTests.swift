import Foundation
import IngestTestSupport
import Testing

/// Two jobs over one source (a source submitted again under another id, say by a nightly
/// cron line) share its documents and chunks. Two runners that ran them at once each
/// re-chunked what the other was embedding, and both jobs failed with "the chunk is gone
/// from the store". A runner now passes over a job while a live runner holds another job
/// over the same source.
@Suite("Run: jobs over one source")
struct RunSharedSourceTests {
    /// Two jobs over one source, and a runner holding one of them at the embedder's gate.
    private struct Scene {
        let world: RunWorld
        /// The embedder waits while this file exists.
        let gate: String
        let source: String
        let embedder: [String]
        let first: RunningIngest
        /// The job the first runner holds, and the other one.
        let held: String, waiting: String
    }

    private func oneJobHeld(_ name: String) async throws -> Scene {
        let world = RunWorld(name)
        let (gate, embedder) = try world.closedGateEmbedder()
        let source = world.path("source")
        try RunCorpus.write(into: source, files: 12, bytes: 3 * 1024, seed: 41)
        for id in ["job-a", "job-b"] { try await world.submit(source, id: id, embedder) }

        let first = try world.startRun(["--workers", "2"])
        var active: [RunJobStatus] = []
        let holds = try await RunBlocking.poll {
            active = try await world.list().filter { $0.activity == "active" }
            return active.count == 1
        }
        try #require(holds, "the first runner never held a job: \(active)")
        let held = active[0].id
        return Scene(
            world: world, gate: gate, source: source, embedder: embedder, first: first, held: held,
            waiting: held == "job-a" ? "job-b" : "job-a"
        )
    }

    @Test("a second runner passes over the job whose source a live runner holds; the first runs both; the index is one job's", .timeLimit(.minutes(TestTime.minutes(2))))
    func secondRunnerWaitsForTheSource() async throws {
        let scene = try await oneJobHeld("shared-source")
        let (world, gate, first, held, waiting) = (scene.world, scene.gate, scene.first, scene.held, scene.waiting)
        defer { first.killIfRunning() }

        // While the first runner is held at the gate, a second one finds nothing it may run,
        // says which job waits for which, and exits 75: work remains, run again later.
        let second = try world.startRun(["--workers", "2"])
        defer { second.killIfRunning() }
        let secondEnd = try await second.wait(timeout: .seconds(60))
        #expect(!secondEnd.signalled && secondEnd.status == RunExit.workRemains, "second runner: \(secondEnd)")
        #expect(secondEnd.stdout.contains("\(waiting)  waits: another runner holds job \(held), over the same source"), "\(secondEnd.stdout)")
        #expect(FileManager.default.fileExists(atPath: gate), "the gate must still be closed")
        let passedOver = try await world.status(waiting)
        #expect(passedOver.status == "pending" && passedOver.activity != "active", "\(passedOver)")
        #expect(try await world.history(waiting).filter { $0.event == "claimed" }.isEmpty, "\(waiting) was claimed while \(held) ran")

        // Released, the first runner finishes its job, then takes the other one.
        try FileManager.default.removeItem(atPath: gate)
        let firstEnd = try await first.wait()
        #expect(!firstEnd.signalled && firstEnd.status == RunExit.ok, "first runner: \(firstEnd)")
        for id in [held, waiting] {
            let job = try await world.status(id)
            #expect(job.status == "completed" && job.itemsFailed == 0, "\(job)")
            let claims = try await world.history(id).filter { $0.event == "claimed" }
            #expect(claims.map(\.runnerPID) == [first.pid], "\(id) claims: \(claims)")
        }
        try await world.expectVerifies()

        // The index holds the source once, byte for byte as a single job over it leaves it.
        let reference = world.path("reference")
        try await world.submit(scene.source, id: "alone", scene.embedder, store: reference)
        let alone = try await world.run(store: reference)
        #expect(alone.status == RunExit.ok, "\(alone.stderr)")
        let shared = try await world.export()
        let single = try await world.export(store: reference)
        #expect(!shared.isEmpty && shared == single, "exports differ: \(shared.count) bytes shared, \(single.count) alone")
    }

    @Test("negative control: with the rule off (INGEST_FAULT=shared-sources) the second runner claims the other job while the first holds the source", .timeLimit(.minutes(TestTime.minutes(2))))
    func negativeControlClaimsTheBusySource() async throws {
        let scene = try await oneJobHeld("shared-source-fault")
        let (world, first) = (scene.world, scene.first)
        defer { first.killIfRunning() }
        let second = try world.startRun(["--workers", "2"], extraEnvironment: ["INGEST_FAULT": "shared-sources"])
        defer { second.killIfRunning() }
        // The same check as above, which must fail here: the waiting job was claimed while
        // the first runner held the source. (Its files are all loaded by then, so it finds
        // them unchanged and completes; loaded at the same time, both jobs failed.)
        _ = try await second.wait(timeout: .seconds(60))
        #expect(FileManager.default.fileExists(atPath: scene.gate), "the gate must still be closed")
        let claims = try await world.history(scene.waiting).filter { $0.event == "claimed" }
        #expect(claims.map(\.runnerPID) == [second.pid], "\(scene.waiting) claims: \(claims)")
        try FileManager.default.removeItem(atPath: scene.gate)
        _ = try await first.wait()
    }

    @Test("a job paused half-way, three of its files changed, a later job over the source run to the end: the first resumes and completes with no failed item; the index equals a fresh job's", .timeLimit(.minutes(TestTime.minutes(2))))
    func pausedJobResumesAfterALaterOne() async throws {
        let world = RunWorld("shared-source-interleaved")
        let (gate, embedder) = try world.closedGateEmbedder()
        let source = world.path("source")
        try RunCorpus.write(into: source, files: 12, bytes: 3 * 1024, seed: 43)
        try await world.submit(source, id: "first", embedder)

        // The first job loads and chunks everything, then waits at the embedder's gate: stop it there.
        let run = try world.startRun(["--shutdown-grace", "1s"])
        defer { run.killIfRunning() }
        let chunked = try await world.waitForStatus("first", "chunk completed") { $0.phase("chunk")?.status == "completed" }
        try #require(chunked != nil)
        run.send(SIGTERM)
        let stopped = try await run.wait()
        #expect(stopped.status == RunExit.workRemains, "\(stopped)")

        // Three files change; a later job over the source indexes them, and the rest as they are.
        try RunCorpus.write(into: source, files: 3, bytes: 3 * 1024, seed: 44)
        try FileManager.default.removeItem(atPath: gate)
        try await world.submit(source, id: "later", embedder)
        let later = try await world.run(["--job", "later"])
        #expect(later.status == RunExit.ok, "\(later.stdout)\(later.stderr)")

        // The first job resumes: the chunks of the three old versions are gone, and skipped.
        let resumed = try await world.run()
        #expect(resumed.status == RunExit.ok, "\(resumed.stdout)\(resumed.stderr)")
        for id in ["first", "later"] {
            let job = try await world.status(id)
            #expect(job.status == "completed" && job.itemsFailed == 0, "\(job)")
        }
        try await world.expectVerifies()
        let reference = world.path("reference")
        try await world.submit(source, id: "fresh", embedder, store: reference)
        let fresh = try await world.run(store: reference)
        #expect(fresh.status == RunExit.ok, "\(fresh.stderr)")
        let shared = try await world.export()
        let single = try await world.export(store: reference)
        #expect(!shared.isEmpty && shared == single, "exports differ: \(shared.count) bytes shared, \(single.count) fresh")
    }
}
