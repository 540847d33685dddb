import Foundation
import IngestTestSupport
import Testing

/// The ways a run stops early: SIGTERM, the time budget, a user pause from another process,
/// and a double SIGINT. Each must leave the right phase statuses and pause reasons.
@Suite("Run stop paths: SIGTERM, budget, user pause, double SIGINT")
struct RunStopTests {
    /// Every phase that is not completed is paused with `reason`.
    static func expectPaused(_ job: RunJobStatus, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let open = job.phases.filter { $0.status != "completed" }
        #expect(!open.isEmpty, "the job finished before the stop landed: \(job)", sourceLocation: sourceLocation)
        for phase in open {
            #expect(phase.status == "paused", "phase \(phase.name) is \(phase.status), not paused: \(job)", sourceLocation: sourceLocation)
            #expect(phase.pauseReason == reason, "phase \(phase.name) pause reason \(phase.pauseReason ?? "nil"), not \(reason)", sourceLocation: sourceLocation)
        }
        for phase in job.phases where phase.status == "completed" {
            #expect(phase.pauseReason == nil, "completed phase \(phase.name) keeps a pause reason", sourceLocation: sourceLocation)
        }
        #expect(job.status == "running", "a paused job's status is running: \(job)", sourceLocation: sourceLocation)
    }

    /// The journal's last transitions are `running → paused` with `reason`, after exactly `claims` claims.
    static func expectJournalPaused(
        _ history: [RunHistoryEntry], reason: String, claims: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(history.filter { $0.event == "claimed" }.count == claims, "claims in \(history.map(\.event))", sourceLocation: sourceLocation)
        let lastClaim = history.lastIndex { $0.event == "claimed" } ?? 0
        let pauses = history[lastClaim...].filter { $0.event == "transition" && $0.to == "paused" }
        #expect(!pauses.isEmpty, "no pause transition after the last claim", sourceLocation: sourceLocation)
        for pause in pauses {
            #expect(pause.reason == reason, "pause of \(pause.phase ?? "?") with reason \(pause.reason ?? "nil")", sourceLocation: sourceLocation)
        }
    }

    @Test("SIGTERM while running: exit 75 within the grace period, every open phase paused (shutdown), lease released", .timeLimit(.minutes(TestTime.minutes(2))))
    func sigterm() async throws {
        let world = RunWorld("run-sigterm")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 1500, bytes: 8 * 1024, seed: 1)
        try await world.submit(source, id: "term")

        let run = try world.startRun(["--workers", "2", "--shutdown-grace", "2s"])
        defer { run.killIfRunning() }
        let started = try await world.waitForStatus("term", "processed > 0") { $0.processed > 0 }
        try #require(started != nil)
        #expect(started?.activity == "active", "a job a live runner holds is active: \(started.map(String.init(describing:)) ?? "")")

        run.send(SIGTERM)
        let end = try await run.wait(timeout: .seconds(60))
        #expect(!end.signalled && end.status == RunExit.workRemains, "SIGTERM: \(end)")
        // The grace period is 2 s; allow generous slack for a loaded machine (scaled).
        #expect(end.waited < .seconds(2) + TestTime.scaled(.seconds(10)), "took \(end.waited) to stop after SIGTERM (grace 2 s)")
        #expect(end.stdout.contains("paused (shutdown)"), "run summary: \(end.stdout)")
        #expect(end.stdout.contains("work remains"), "run summary: \(end.stdout)")

        let job = try await world.status("term")
        Self.expectPaused(job, reason: "shutdown")
        #expect(job.activity == "interrupted", "no live runner holds it: \(job.activity)")
        #expect(!job.held)
        Self.expectJournalPaused(try await world.history("term"), reason: "shutdown", claims: 1)
        try await world.expectVerifies()

        // The next run takes it up again (without a user resume): claim it, then stop it by budget.
        let again = try await world.run(["--max-time", "1s"])
        #expect(again.status == RunExit.workRemains, "second run: \(again.status) \(again.stderr)")
        let resumed = try await world.status("term")
        #expect(resumed.processed > job.processed, "the second run made no progress: \(job) → \(resumed)")
        Self.expectPaused(resumed, reason: "budget")
        #expect(try await world.history("term").filter { $0.event == "claimed" }.count == 2)
    }

    @Test("--max-time 1s: exit 75, every open phase paused (budget)", .timeLimit(.minutes(TestTime.minutes(2))))
    func budget() async throws {
        let world = RunWorld("run-budget")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 1500, bytes: 8 * 1024, seed: 2)
        try await world.submit(source, id: "budget")

        let clock = ContinuousClock()
        let start = clock.now
        let output = try await world.run(["--max-time", "1s", "--workers", "2"])
        let elapsed = clock.now - start
        #expect(output.status == RunExit.workRemains, "exit \(output.status): \(output.stderr)")
        #expect(output.stdout.contains("paused (budget)"), "summary: \(output.stdout)")
        // 1 s budget + 5 s default grace is the documented upper bound; plus slack.
        #expect(elapsed < .seconds(6) + TestTime.scaled(.seconds(10)), "a 1 s budget took \(elapsed)")

        let job = try await world.status("budget")
        Self.expectPaused(job, reason: "budget")
        #expect(job.activity == "interrupted")
        #expect(job.processed > 0, "a second of work did nothing: \(job)")
        Self.expectJournalPaused(try await world.history("budget"), reason: "budget", claims: 1)
        try await world.expectVerifies()
    }

    @Test("ingest pause from another process: the run ends (exit 0, nothing else runnable), phases paused (user), held; resume + run completes", .timeLimit(.minutes(TestTime.minutes(2))))
    func userPause() async throws {
        let world = RunWorld("run-pause")
        let source = world.path("corpus")
        let files = 1500
        try RunCorpus.write(into: source, files: files, bytes: 8 * 1024, seed: 3)
        try await world.submit(source, id: "held")

        let run = try world.startRun(["--workers", "2"])
        defer { run.killIfRunning() }
        let started = try await world.waitForStatus("held", "processed > 0") { $0.processed > 0 }
        try #require(started != nil)

        let pause = try await world.ingest(["pause", "held"])
        #expect(pause.status == 0, "pause: \(pause.stderr)")
        // The runner notices within its hold poll (250 ms) and stops within the grace (5 s).
        let end = try await run.wait(timeout: .seconds(60))
        #expect(end.waited < .seconds(5) + TestTime.scaled(.seconds(10)), "the run took \(end.waited) to notice the pause")
        // DESIGN: 75 means work remains that a run could do; a user hold is not runnable,
        // so with nothing else to do the run exits 0.
        #expect(!end.signalled && end.status == RunExit.ok, "run after pause: \(end)")
        #expect(end.stdout.contains("paused (user)"), "summary: \(end.stdout)")
        #expect(!end.stdout.contains("work remains"), "summary: \(end.stdout)")

        let job = try await world.status("held")
        Self.expectPaused(job, reason: "user")
        #expect(job.activity == "held")
        #expect(job.held)
        let history = try await world.history("held")
        #expect(history.contains { $0.event == "paused_by_user" })
        #expect(history.filter { $0.event == "claimed" }.count == 1)

        // A run leaves a held job alone.
        let idle = try await world.run()
        #expect(idle.status == RunExit.ok, "run with only a held job: \(idle.status) \(idle.stderr)")
        #expect(idle.stdout.contains("nothing to do"), "\(idle.stdout)")
        let stillHeld = try await world.status("held")
        #expect(stillHeld.processed == job.processed && stillHeld.activity == "held")

        let resume = try await world.ingest(["resume", "held"])
        #expect(resume.status == 0, "resume: \(resume.stderr)")
        let finish = try await world.run(["--workers", "2"])
        #expect(finish.status == RunExit.ok, "final run: \(finish.status) \(finish.stderr)")
        let done = try await world.status("held")
        #expect(done.status == "completed" && done.activity == "idle", "\(done)")
        #expect(done.phases.allSatisfy { $0.status == "completed" && $0.pauseReason == nil }, "\(done)")
        #expect(done.phase("load")?.processed == UInt64(files))
        #expect(done.phase("chunk")?.processed == UInt64(files))
        try await world.expectVerifies()
    }

    @Test("a user pause while another job is runnable: the runner goes on with the other job", .timeLimit(.minutes(TestTime.minutes(2))))
    func userPauseWithOtherWork() async throws {
        let world = RunWorld("run-pause-other")
        let big = world.path("big"), small = world.path("small")
        try RunCorpus.write(into: big, files: 1200, bytes: 8 * 1024, seed: 4)
        try RunCorpus.write(into: small, files: 5, bytes: 1024, seed: 5)
        // Job ids sort "a-held" first, so the runner claims it first.
        try await world.submit(big, id: "a-held")
        try await world.submit(small, id: "b-other")

        let run = try world.startRun()
        defer { run.killIfRunning() }
        let started = try await world.waitForStatus("a-held", "a-held processed > 0") { $0.processed > 0 && $0.activity == "active" }
        try #require(started != nil)
        #expect(try await world.ingest(["pause", "a-held"]).status == 0)
        let end = try await run.wait(timeout: .seconds(60))
        // The held job is not runnable and the other one completed: nothing remains, exit 0.
        #expect(end.status == RunExit.ok, "\(end)")
        #expect(try await world.status("b-other").status == "completed")
        let held = try await world.status("a-held")
        Self.expectPaused(held, reason: "user")
        #expect(held.activity == "held")
    }

    @Test("SIGINT twice while a batch hangs: exits at once with 75; verify passes; the next run completes", .timeLimit(.minutes(TestTime.minutes(2))))
    func doubleSIGINT() async throws {
        let world = RunWorld("run-sigint")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 6, bytes: 2 * 1024, seed: 6)
        let (gate, embedder) = try world.closedGateEmbedder()
        try await world.submit(source, id: "int", embedder)

        // A long grace: the first SIGINT alone would wait up to 60 s for the hanging batch.
        let run = try world.startRun(["--shutdown-grace", "60s"])
        defer { run.killIfRunning() }
        let waiting = try await world.waitForStatus("int", "chunks handed to embed") {
            $0.phase("chunk")?.status == "completed" && $0.phase("embed")?.status == "running"
        }
        try #require(waiting != nil)
        // The embed batch is in flight once the embedder has started.
        #expect(try await RunBlocking.poll { FileManager.default.fileExists(atPath: gate + ".pids") }, "the embedder never started")

        // Two standard signals sent before the first is delivered merge into one (POSIX does
        // not queue them), so the second follows after a short pause, as a second Ctrl-C would.
        run.send(SIGINT)
        try await Task.sleep(for: .milliseconds(250))
        run.send(SIGINT)
        let end = try await run.wait(timeout: .seconds(60))
        #expect(!end.signalled && end.status == RunExit.workRemains, "double SIGINT: \(end)")
        // Scaled slack, capped below the 60 s grace so the check keeps its meaning.
        #expect(end.waited < min(TestTime.scaled(.seconds(10)), .seconds(50)), "the second SIGINT did not exit at once: \(end.waited) (grace 60 s)")
        #expect(end.stderr.contains("second interrupt"), "stderr: \(end.stderr)")

        try await world.expectVerifies()
        let interrupted = try await world.status("int")
        #expect(interrupted.status == "running")
        #expect(interrupted.activity == "interrupted", "a dead runner's lease is not live: \(interrupted)")

        try FileManager.default.removeItem(atPath: gate)
        let finish = try await world.run()
        #expect(finish.status == RunExit.ok, "run after double SIGINT: \(finish.status) \(finish.stderr)")
        let done = try await world.status("int")
        #expect(done.status == "completed", "\(done)")
        #expect(done.phase("chunk")?.processed == 6, "\(done)")
        #expect(done.phase("embed")?.processed == done.phase("embed")?.total, "\(done)")
        #expect(done.phase("index")?.processed == done.phase("embed")?.processed, "\(done)")
        #expect(try await world.history("int").filter { $0.event == "claimed" }.count == 2)
        let lines = try await world.exportLines()
        #expect(!lines.isEmpty && lines.allSatisfy { $0.indexed && !$0.vectorHash.isEmpty })
    }

    @Test("SIGTERM while a batch hangs: in-flight items are dropped after --shutdown-grace, exit 75, phases paused (shutdown)", .timeLimit(.minutes(TestTime.minutes(2))))
    func graceExpires() async throws {
        let world = RunWorld("run-grace")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 4, bytes: 1024, seed: 7)
        let (gate, embedder) = try world.closedGateEmbedder()
        try await world.submit(source, id: "grace", embedder)

        let run = try world.startRun(["--shutdown-grace", "1s"])
        defer { run.killIfRunning() }
        let waiting = try await world.waitForStatus("grace", "the embed phase waits on the embedder") {
            $0.phase("chunk")?.status == "completed" && $0.phase("embed")?.status == "running"
        }
        try #require(waiting != nil)
        #expect(try await RunBlocking.poll { FileManager.default.fileExists(atPath: gate + ".pids") }, "the embedder never started")

        run.send(SIGTERM)
        let end = try await run.wait(timeout: .seconds(60))
        #expect(!end.signalled && end.status == RunExit.workRemains, "\(end)")
        #expect(end.waited < .seconds(1) + TestTime.scaled(.seconds(10)), "grace 1 s, but the run took \(end.waited) to stop")
        let job = try await world.status("grace")
        Self.expectPaused(job, reason: "shutdown")
        #expect(job.phase("embed")?.processed == 0, "the hanging batch must not count: \(job)")
        #expect(job.activity == "interrupted")

        // The embedder's child should not outlive the runner (ExecEmbedder documents that it
        // is killed on shutdown); past the grace the runner exits without shutting it down.
        let pids = (try? String(contentsOfFile: gate + ".pids", encoding: .utf8))?
            .split(separator: "\n").compactMap { Int32($0) } ?? []
        #expect(!pids.isEmpty)
        let gone = try await RunBlocking.poll(timeout: .seconds(5)) { pids.allSatisfy { !RunScripts.isAlive($0) } }
        #expect(gone, "embedder processes \(pids) still run after the runner exited")

        try FileManager.default.removeItem(atPath: gate)
        let finish = try await world.run()
        #expect(finish.status == RunExit.ok, "\(finish.status) \(finish.stderr)")
        let done = try await world.status("grace")
        #expect(done.status == "completed", "\(done)")
        #expect(done.phase("embed")?.processed == done.phase("embed")?.total)
    }
}
