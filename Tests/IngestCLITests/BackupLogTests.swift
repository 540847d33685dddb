import Foundation
import IngestTestSupport
import Testing

/// `ingest backup` (a compact hot copy that verifies) and `--log-format json`.
@Suite("backup and logs")
struct BackupLogTests {
    @Test("backup while a runner writes: the copy opens, verifies, and resumes to the same export", .timeLimit(.minutes(TestTime.minutes(2))))
    func backupWhileRunning() async throws {
        let world = RunWorld("backup")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 400, bytes: 6 * 1024, seed: 41)
        try await world.submit(source, id: "b")
        let runner = try world.startRun(["--workers", "2"])
        defer { runner.killIfRunning() }
        _ = try await world.waitForStatus("b", "the runner has committed something") { status in
            status.phases.contains { $0.processed > 0 }
        }
        let copy = world.path("copy")
        let backup = try await world.ingest(["backup", copy])
        #expect(backup.status == 0, "backup: \(backup.status) \(backup.stderr)")
        #expect(backup.stdout.contains("verified"))
        let runnerEnd = try await runner.wait()
        #expect(runnerEnd.status == RunExit.ok, "\(runnerEnd)")

        // The copy is a store of its own: it verifies and, resumed, indexes the same.
        try await world.expectVerifies(store: copy)
        let resumed = try await world.run(store: copy)
        #expect(resumed.status == RunExit.ok, "\(resumed.status) \(resumed.stderr)")
        let original = try await world.export()
        #expect(!original.isEmpty)
        #expect(try await world.export(store: copy) == original)

        // A destination that is not empty is refused and left alone.
        let again = try await world.ingest(["backup", copy])
        #expect(again.status == 73)
        #expect(again.stderr.contains("not an empty directory"))
    }

    @Test("--log-format json: every stderr line is one JSON object with time, level, message and the job", .timeLimit(.minutes(TestTime.minutes(1))))
    func jsonLogs() async throws {
        let world = RunWorld("jsonlog")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 5, bytes: 2 * 1024, seed: 42)
        try await world.submit(source, id: "logged")
        let run = try await world.ingest(["run", "--progress", "none", "--log-level", "info", "--log-format", "json"])
        #expect(run.status == RunExit.ok)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count >= 5, "expected claim, four phase completions and the end:\n\(run.stderr)")
        var messages: [String] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let fields = try #require(object, "not a JSON object: \(line)")
            for key in ["time", "level", "message", "label"] { #expect(fields[key] is String, "\(key) missing in \(line)") }
            if let message = fields["message"] as? String {
                messages.append(message)
                if message != "creating store" { #expect(fields["job"] as? String == "logged", "no job field: \(line)") }
            }
        }
        #expect(messages.contains("job claimed"))
        #expect(messages.filter { $0 == "phase completed" }.count == 4)
        #expect(messages.contains("job run ended"))

        let bad = try await world.ingest(["list", "--log-format", "xml"])
        #expect(bad.status == 64)
    }
}
