import Foundation
import IngestTestSupport
import Testing

/// `ingest watch` off a terminal or with `--once`: one snapshot of the committed state, and
/// exit codes a script can use. The live view is in LiveProgressTests.
@Suite("watch snapshot")
struct WatchSnapshotTests {
    /// The snapshot's lines for each job: its status line, then its phase lines.
    static func jobs(in text: String) -> [String: (header: LiveProgressTests.Frame, phases: [[String: String]])] {
        var result: [String: (header: LiveProgressTests.Frame, phases: [[String: String]])] = [:]
        var current: String?
        for line in text.split(separator: "\n").map(String.init) {
            if let header = try? LiveProgressTests.watchHeader.wholeMatch(in: line) {
                let id = String(header.output.job)
                current = id
                let frame = LiveProgressTests.Frame(
                    status: String(header.output.status), activity: String(header.output.activity), percent: String(header.output.percent)
                )
                result[id] = (frame, [])
            } else if let phase = try? LiveProgressTests.terminalLine.wholeMatch(in: line), let id = current {
                result[id]?.phases.append([
                    "job": String(phase.output.job), "phase": String(phase.output.phase), "done": String(phase.output.done),
                    "total": String(phase.output.total), "note": phase.output.note.map(String.init) ?? "",
                ])
            } else {
                Issue.record("a line of no known form: \(line.debugDescription)")
            }
        }
        return result
    }

    @Test("watch ID --once, watch --once and watch piped print one snapshot; the store is only read", .timeLimit(.minutes(TestTime.minutes(2))))
    func snapshots() async throws {
        let world = RunWorld("watch-once")
        let source = world.path("source")
        try RunCorpus.write(into: source, files: 3, bytes: 800, seed: 5)
        try await world.submit(source, id: "done")
        #expect(try await world.run().status == 0)
        try await world.submit(source, id: "waiting")
        let data = world.store + "/data.mdb"
        let before = try #require(fileBytes(data))

        let one = try await world.ingest(["watch", "done", "--once"])
        #expect(one.status == 0, "\(one.stderr)")
        let shown = Self.jobs(in: one.stdout)
        #expect(Array(shown.keys) == ["done"])
        let job = try #require(shown["done"])
        #expect(job.header.status == "completed" && job.header.activity == "idle" && job.header.percent == "100.0")
        let status = try await world.status("done")
        #expect(job.phases.map { $0["phase"] } == status.phases.map(\.name))
        for (line, phase) in zip(job.phases, status.phases) {
            #expect(line["done"] == String(phase.processed) && line["total"] == phase.total.map(String.init), "\(line) vs \(phase)")
            #expect(line["note"] == "completed")
        }

        // Without an id: the unfinished jobs only. Piped without --once: the same single snapshot.
        for arguments in [["watch", "--once"], ["watch"]] {
            let all = try await world.ingest(arguments)
            #expect(all.status == 0, "\(arguments): \(all.stderr)")
            let jobs = Self.jobs(in: all.stdout)
            #expect(Array(jobs.keys) == ["waiting"], "\(arguments): \(all.stdout)")
            #expect(jobs["waiting"]?.header.status == "pending" && jobs["waiting"]?.header.activity == "queued")
            #expect(jobs["waiting"]?.phases.map { $0["note"] } == ["not_started", "not_started", "not_started", "not_started"])
        }
        #expect(fileBytes(data) == before, "watch changed the store's data file")
    }

    @Test("watch ID exits 1 for a failed job, 66 for a missing job or store, 64 for a bad interval", .timeLimit(.minutes(TestTime.minutes(2))))
    func exitCodes() async throws {
        let world = RunWorld("watch-exit")
        let source = world.path("source")
        try RunCorpus.write(into: source, files: 1, bytes: 300, seed: 9)
        try await world.submit(source, id: "bad", ["--embedder", "exec:\(world.path("no-such-embedder"))", "--dimension", "8"])
        #expect(try await world.run().status == RunExit.jobFailed)

        let failed = try await world.ingest(["watch", "bad", "--once"])
        #expect(failed.status == 1, "\(failed.stderr)")
        let job = try #require(Self.jobs(in: failed.stdout)["bad"])
        #expect(job.header.status == "failed")
        #expect(job.phases.contains { $0["phase"] == "embed" && ($0["note"] ?? "").hasPrefix("failed") }, "\(job.phases)")

        let missingJob = try await world.ingest(["watch", "nope", "--once"])
        #expect(missingJob.status == 66 && missingJob.stderr.hasPrefix("ingest: error:"), "\(missingJob.status) \(missingJob.stderr)")
        let elsewhere = world.path("no-store")
        let missingStore = try await world.ingest(["watch", "--once"], store: elsewhere)
        #expect(missingStore.status == 66, "\(missingStore.status) \(missingStore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere), "watch created a store")
        let tooOften = try await world.ingest(["watch", "--interval", "10ms"])
        #expect(tooOften.status == 64, "\(tooOften.status) \(tooOften.stderr)")
    }
}
