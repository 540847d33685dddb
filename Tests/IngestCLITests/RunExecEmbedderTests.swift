import Foundation
import IngestTestSupport
import Testing

/// The `exec:` embedder through the CLI: a correct script, and each way a script can fail.
@Suite("Run exec embedder end to end")
struct RunExecEmbedderTests {
    /// A world with a three-file source (one chunk each) and `script` installed.
    static func prepare(_ name: String, script: String) throws -> (world: RunWorld, source: String, script: String) {
        let world = RunWorld(name)
        let source = try world.makeDirectory("source")
        try RunCorpus.writeText("Otters hold hands while they sleep in kelp forests.\n", to: source + "/otters.txt")
        try RunCorpus.writeText("Beavers build dams from branches and mud.\n", to: source + "/beavers.txt")
        try RunCorpus.writeText("Herons stand still in shallow water, waiting for fish.\n", to: source + "/herons.txt")
        let path = try RunScripts.install(script, as: "embed.py", in: world)
        return (world, source, path)
    }

    @Test("a correct script: the job completes, every chunk has a vector, and vector search returns results", .timeLimit(.minutes(TestTime.minutes(1))))
    func correctScript() async throws {
        let (world, source, script) = try Self.prepare("run-exec-ok", script: RunScripts.embed)
        try await world.submit(source, id: "exec", ["--embedder", "exec:python3 \(script) 8", "--dimension", "8"])
        let run = try await world.run()
        #expect(run.status == RunExit.ok, "exit \(run.status): \(run.stderr)")
        let job = try await world.status("exec")
        #expect(job.status == "completed" && job.itemsFailed == 0, "\(job)")
        #expect(job.phase("embed")?.processed == 3 && job.phase("index")?.processed == 3, "\(job)")

        let lines = try await world.exportLines()
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { !$0.vectorHash.isEmpty && $0.indexed }, "every chunk has a vector")
        #expect(Set(lines.map(\.vectorHash)).count == 3, "distinct texts, distinct vectors")

        let bm25 = try await world.ingest(["search", "beavers", "--mode", "bm25", "--json"])
        #expect(bm25.status == 0)
        #expect(try RunJSON.decode([RunSearchHit].self, bm25.stdout).first?.document == "beavers.txt")

        let vector = try await world.ingest(["search", "beavers dams", "--mode", "vector", "--json", "-k", "3"])
        #expect(vector.status == 0, "vector search: \(vector.stderr)")
        let hits = try RunJSON.decode([RunSearchHit].self, vector.stdout)
        #expect(!hits.isEmpty, "vector search over exec: vectors returned nothing")
    }

    @Test("--dimension 4 for an exec: embedder", .timeLimit(.minutes(TestTime.minutes(1))))
    func smallDimension() async throws {
        let (world, source, script) = try Self.prepare("run-exec-dim4", script: RunScripts.embed)
        let submit = try await world.ingest(["submit", source, "--id", "dim4", "--embedder", "exec:python3 \(script) 4", "--dimension", "4"])
        #expect(submit.status == 0, "submit --dimension 4: \(submit.status) \(submit.stderr)")
        guard submit.status == 0 else { return }
        let run = try await world.run()
        #expect(run.status == RunExit.ok, "exit \(run.status): \(run.stderr)")
        #expect(try await world.status("dim4").status == "completed")
    }

    @Test("a command that does not exist: the embed phase fails after its retries, naming the command", .timeLimit(.minutes(TestTime.minutes(1))))
    func missingCommand() async throws {
        let (world, source, _) = try Self.prepare("run-exec-missing", script: RunScripts.embed)
        let command = world.path("no-such-embedder")
        try await world.submit(source, id: "missing", ["--embedder", "exec:\(command) --fast", "--dimension", "8"])
        let run = try await world.run()
        #expect(run.status == RunExit.jobFailed, "exit \(run.status): \(run.stderr)")
        #expect(run.stdout.contains("failed in embed"), "summary: \(run.stdout)")
        // Each retry is logged as a warning before the phase gives up.
        #expect(run.stderr.components(separatedBy: "retrying").count - 1 >= 3, "retries logged: \(run.stderr)")

        let job = try await world.status("missing")
        #expect(job.status == "failed" && job.activity == "idle", "\(job)")
        #expect(job.phase("load")?.status == "completed" && job.phase("chunk")?.status == "completed", "\(job)")
        let embed = try #require(job.phase("embed"))
        #expect(embed.status == "failed")
        #expect(embed.processed == 0)
        let error = embed.lastError ?? ""
        #expect(error.contains(command), "lastError names the command: \(error)")
        #expect(error.contains("4 attempts"), "lastError: \(error)")
        #expect(error.contains("not found"), "lastError: \(error)")
        let history = try await world.history("missing")
        #expect(history.contains { $0.event == "transition" && $0.phase == "embed" && $0.to == "failed" && $0.error?.contains(command) == true })
    }

    @Test("a script answering the wrong dimension: items fail, the job completes with them counted", .timeLimit(.minutes(TestTime.minutes(1))))
    func wrongDimension() async throws {
        let (world, source, script) = try Self.prepare("run-exec-wrongdim", script: RunScripts.embed)
        try await world.submit(source, id: "wrongdim", ["--embedder", "exec:python3 \(script) 5", "--dimension", "8"])
        let run = try await world.run()
        #expect(run.status == RunExit.ok, "exit \(run.status): \(run.stderr)")
        let job = try await world.status("wrongdim")
        #expect(job.status == "completed", "\(job)")
        #expect(job.phase("embed")?.itemsFailed == 3, "every chunk fails: \(job)")
        #expect(job.itemsFailed == 3)
        let lines = try await world.exportLines()
        #expect(lines.allSatisfy { $0.vectorHash.isEmpty }, "no vector may be stored")

        // Where can a user read why? Status, history and the run's own output are all the CLI has.
        let text = try await world.ingest(["status", "wrongdim"])
        let history = try await world.ingest(["history", "wrongdim"])
        let everything = [run.stdout, run.stderr, text.stdout, history.stdout, job.phases.compactMap(\.lastError).joined()]
            .joined(separator: "\n").lowercased()
        #expect(everything.contains("dimension"), "no CLI output explains the failed items")

        // With a limit of 0 the phase fails, and says so.
        let strict = RunWorld("run-exec-wrongdim-strict")
        let strictSource = try strict.makeDirectory("source")
        try RunCorpus.writeText("One short text.\n", to: strictSource + "/one.txt")
        try await strict.submit(strictSource, id: "strict", ["--embedder", "exec:python3 \(script) 5", "--dimension", "8"])
        let strictRun = try await strict.run(["--max-item-failures", "0"])
        #expect(strictRun.status == RunExit.jobFailed, "exit \(strictRun.status): \(strictRun.stderr)")
        let strictEmbed = try #require(try await strict.status("strict").phase("embed"))
        #expect(strictEmbed.status == "failed")
        #expect(strictEmbed.lastError?.contains("limit") == true, "\(strictEmbed)")
        #expect(strictEmbed.lastError?.contains("dimension") == true, "\(strictEmbed)")
    }

    @Test("a script that crashes: the embed phase fails with its exit status and stderr", .timeLimit(.minutes(TestTime.minutes(1))))
    func crashingScript() async throws {
        let (world, source, script) = try Self.prepare("run-exec-crash", script: RunScripts.crash)
        try await world.submit(source, id: "crash", ["--embedder", "exec:python3 \(script)", "--dimension", "8"])
        let run = try await world.run()
        #expect(run.status == RunExit.jobFailed, "exit \(run.status): \(run.stderr)")
        let job = try await world.status("crash")
        #expect(job.status == "failed", "\(job)")
        let embed = try #require(job.phase("embed"))
        #expect(embed.status == "failed")
        let error = embed.lastError ?? ""
        #expect(error.contains("status 3"), "lastError gives the exit status: \(error)")
        #expect(error.contains("out of cheese"), "lastError quotes the script's stderr: \(error)")
        #expect(error.contains(script), "lastError names the command: \(error)")
    }

    @Test("a script that hangs with --embed-timeout 1s: the embed phase fails naming the timeout", .timeLimit(.minutes(TestTime.minutes(1))))
    func hangingScript() async throws {
        let (world, source, script) = try Self.prepare("run-exec-hang", script: RunScripts.hang)
        try await world.submit(source, id: "hang", ["--embedder", "exec:python3 \(script)", "--dimension", "8", "--embed-timeout", "1s"])
        let clock = ContinuousClock()
        let start = clock.now
        let run = try await world.run()
        let elapsed = clock.now - start
        #expect(run.status == RunExit.jobFailed, "exit \(run.status): \(run.stderr)")
        // Four attempts of 1 s plus backoff (0.2 + 0.4 + 0.8 s at most): far below 30 s
        // (the slack past the first 6 s scales).
        #expect(elapsed < .seconds(6) + TestTime.scaled(.seconds(24)), "took \(elapsed)")
        let embed = try #require(try await world.status("hang").phase("embed"))
        #expect(embed.status == "failed")
        let error = (embed.lastError ?? "").lowercased()
        #expect(error.contains("within 1 s") && error.contains("timeout"), "lastError names the timeout: \(error)")
    }
}
