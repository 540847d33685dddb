import Foundation
import IngestTestSupport
import Testing

@Suite("gc and compact through the binary")
struct RetentionTests {
    @Test("gc: refuses to guess, keeps the newest, never touches unfinished jobs; dry run changes nothing")
    func gc() async throws {
        let world = RunWorld("gc")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 5, bytes: 1024, seed: 21)
        for index in 0..<3 { try await world.submit(source, id: "done\(index)", ["--chunk-size", "\(400 + index)"]) }
        #expect(try await world.run(["--progress", "none"]).status == RunExit.ok)
        try await world.submit(source, id: "waiting", ["--chunk-size", "999"])

        for (arguments, fragment) in [
            ([String](), "say what to remove"), (["--older-than", "soon"], "--older-than"),
            (["--status", "running"], "only completed or failed"), (["--keep-last", "-1"], "--keep-last"),
        ] {
            let refused = try await world.ingest(["gc"] + arguments)
            #expect(refused.status == 64, "\(arguments): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains(fragment), "\(arguments): \(refused.stderr)")
        }
        let missing = try await world.ingest(["gc", "--keep-last", "1"], store: world.path("absent"))
        #expect(missing.status == 66, "\(missing.stderr)")
        #expect(!fileExists(world.path("absent")), "gc created a store")

        let dry = try await world.ingest(["gc", "--keep-last", "1", "--dry-run", "--json"])
        #expect(dry.status == RunExit.ok, "\(dry.stderr)")
        let planned = try jsonObject(dry.stdout)
        #expect(planned["dryRun"] as? Bool == true)
        #expect(planned["removed"] as? [String] == ["done0", "done1"], "oldest first, the newest kept: \(dry.stdout)")
        #expect(try await world.list().count == 4, "a dry run removed something")

        let real = try await world.ingest(["gc", "--keep-last", "1"])
        #expect(real.status == RunExit.ok, "\(real.stderr)")
        #expect(real.stdout.contains("removed 2 finished jobs"), "\(real.stdout)")
        #expect(Set(try await world.list().map(\.id)) == ["done2", "waiting"])
        let history = try await world.ingest(["history", "done0"])
        #expect(history.status == 66, "a removed job is gone: \(history.stderr)")
        try await world.expectVerifies()
        // The index is not gc's business: the source's documents are still searchable.
        #expect(try await world.exportLines().count > 0)
    }

    @Test("compact: refused (75) while a runner has the store open; afterwards it keeps everything and verifies", .timeLimit(.minutes(TestTime.minutes(3))))
    func compact() async throws {
        let world = RunWorld("compact")
        let source = world.path("corpus")
        // Long enough that the runner is still working when compact runs: 1,500 files and a
        // commit per item make some 6,000 synced commits (seconds, where starting compact
        // takes milliseconds). With 300 files and 8-item groups a fast run was over first.
        try RunCorpus.write(into: source, files: 1500, bytes: 2 * 1024, seed: 22)
        try await world.submit(source, id: "c1")

        let run = try world.startRun(["--workers", "1", "--commit-items", "1"])
        defer { run.killIfRunning() }
        try #require(try await world.waitForStatus("c1", "processed > 0") { $0.processed > 0 } != nil)
        let refused = try await world.ingest(["compact"])
        #expect(refused.status == RunExit.workRemains, "\(refused.status) \(refused.stderr)")
        #expect(refused.stderr.contains("busy"), "\(refused.stderr)")
        let end = try await run.wait(timeout: .seconds(120))
        #expect(!end.signalled && end.status == RunExit.ok, "the runner went on undisturbed: \(end)")

        let exportBefore = try await world.export()
        let compacted = try await world.ingest(["compact"])
        #expect(compacted.status == RunExit.ok, "\(compacted.stderr)")
        #expect(compacted.stdout.contains("compacted") && compacted.stdout.contains("verified"), "\(compacted.stdout)")
        try await world.expectVerifies()
        #expect(try await world.export() == exportBefore, "compaction changed what the store holds")
        #expect(try await world.status("c1").status == "completed")
        let search = try await world.ingest(["search", "the"])
        #expect(search.status == RunExit.ok, "\(search.stderr)")
        let missing = try await world.ingest(["compact"], store: world.path("absent"))
        #expect(missing.status == 66, "\(missing.stderr)")
    }
}
