import Foundation
import IngestTestSupport
import Testing

@Suite("run warns when given settings that disagree with a job's stored ones")
struct RunSettingsWarningTests {
    @Test("disagreeing flags: a warning naming the job and each flag; the job runs with its stored settings")
    func warns() async throws {
        let world = RunWorld("settings-warning")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 6, bytes: 3000, seed: 31)
        try await world.submit(source, id: "stored", ["--chunk-size", "400"])
        let reference = RunWorld("settings-reference")
        try await reference.submit(source, id: "stored", ["--chunk-size", "400"])
        #expect(try await reference.run(["--progress", "none"]).status == RunExit.ok)

        let run = try await world.run(["--chunk-size", "300", "--embedder", "hashing-256", "--include", "*.md", "--progress", "none"])
        #expect(run.status == RunExit.ok, "\(run.stderr)")
        #expect(run.stderr.contains("warning: job stored keeps the settings it was submitted with"), "\(run.stderr)")
        #expect(run.stderr.contains("--chunk-size 300 (the job has 400)"), "\(run.stderr)")
        #expect(run.stderr.contains("--include *.md (the job has none)"), "\(run.stderr)")
        #expect(!run.stderr.contains("--embedder"), "an agreeing flag is not a disagreement: \(run.stderr)")
        // Ran with the stored settings: the same chunks as a run that was never given other flags.
        #expect(try await world.export() == reference.export(), "the run used the flags instead of the stored settings")
    }

    @Test("agreeing or no settings flags: no warning")
    func silent() async throws {
        let world = RunWorld("settings-silent")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 3, bytes: 1000, seed: 32)
        try await world.submit(source, id: "same", ["--chunk-size", "400"])
        let run = try await world.run(["--chunk-size", "400", "--progress", "none"])
        #expect(run.status == RunExit.ok, "\(run.stderr)")
        #expect(!run.stderr.contains("warning"), "\(run.stderr)")
    }
}
