import Foundation
import IngestTestSupport
import Testing

/// Runs `tools/soak` (DESIGN.md: overlapping runs never run one job twice, every change is
/// one transaction, a reader check at open, bounded stops) against the debug `ingest` this
/// test target was built with: four runners, readers and pause/resume on one store for
/// 20 s must run no job twice, lose no update, leave no reader slot and hang nowhere; and
/// the negative control — runners that take leases from live runners
/// (`INGEST_FAULT=steal-leases`) — must be caught, so a passing soak means something.
///
/// Needs `python3`, `mdb_stat` (lmdb-utils) and liblmdb on the machine (.ci/run installs them).
@Suite("tools/soak", .serialized)
struct SoakToolTests {
    /// Runs the tool on the debug binary with `extra` arguments; returns its output and its
    /// JSON report.
    private func soak(_ extra: [String]) async throws -> (ProcessOutput, [String: Any]) {
        try await RepositoryTool.run("soak", extra, quick: false, timeout: 480)
    }

    @Test("20 s of four runners, readers and pause/resume: no job run twice, nothing lost, no reader slot left, no hang",
          .timeLimit(.minutes(TestTime.minutes(8))))
    func soakPasses() async throws {
        let (output, report) = try await soak(["--seed", "1", "--duration", "20"])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(!output.timedOut, "tools/soak did not finish in 480 s\n\(shown)")
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("soak: PASS"), "\(shown)")
        #expect(report["runTwice"] as? Int == 0, "\(shown)")
        #expect((report["lostUpdates"] as? [Any])?.isEmpty == true, "\(shown)")
        #expect((report["attemptsMismatches"] as? [Any])?.isEmpty == true, "\(shown)")
        #expect((report["unreleased"] as? [Any])?.isEmpty == true, "\(shown)")
        #expect((report["leakedSlots"] as? [Any])?.isEmpty == true, "\(shown)")
        #expect((report["readerSlotsAtEnd"] as? [Any])?.isEmpty == true, "\(shown)")
        #expect((report["staleSlotProbe"] as? [String: Any])?["result"] as? String == "cleared by the next open", "\(shown)")
        #expect(report["hangs"] as? Int == 0, "\(shown)")
        #expect(report["verifyExit"] as? Int == 0, "\(shown)")
        #expect(report["problemCount"] as? Int == 0, "\(shown)")
        // The soak must have exercised what it checks: handovers between runners, a killed
        // holder, reads and pauses.
        let jobs = report["jobs"] as? Int ?? 0
        #expect((report["claims"] as? Int ?? 0) > jobs, "no job changed hands\n\(shown)")
        #expect((report["overlapPairsChecked"] as? Int ?? 0) > 0, "\(shown)")
        #expect((report["kills"] as? Int ?? 0) >= 1, "no runner was SIGKILLed while it held a job\n\(shown)")
        #expect((report["reads"] as? Int ?? 0) >= 20, "\(shown)")
        #expect((report["pauses"] as? Int ?? 0) >= 1, "\(shown)")
    }

    @Test("the negative control (runners that take leases from live runners) is detected", .timeLimit(.minutes(TestTime.minutes(8))))
    func negativeControlDetected() async throws {
        let (output, report) = try await soak(["--negative-control", "--seed", "1", "--duration", "8", "--jobs", "4"])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(!output.timedOut, "tools/soak --negative-control did not finish in 480 s\n\(shown)")
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("soak negative control: DETECTED"), "\(shown)")
        #expect(report["detected"] as? Bool == true, "\(shown)")
        #expect((report["runTwice"] as? Int ?? 0) > 0, "\(shown)")
    }

    /// The soak orders a runner's lease release against other runners' claims by the
    /// journal position this log line carries.
    @Test("ingest run logs each lease release with the job's journal length at that commit", .timeLimit(.minutes(TestTime.minutes(1))))
    func leaseReleaseIsLogged() async throws {
        let world = RunWorld("release-log")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 4, bytes: 2 * 1024, seed: 7)
        try await world.submit(source, id: "released")
        let run = try await world.ingest(["run", "--progress", "none", "--log-level", "info", "--log-format", "json"])
        #expect(run.status == RunExit.ok, "\(run.stderr)")
        let releases = try run.stderr.split(separator: "\n").compactMap { line -> [String: Any]? in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["message"] as? String == "releasing the lease" ? object : nil
        }
        try #require(releases.count == 1, "one release expected:\n\(run.stderr)")
        let history = try await world.history("released")
        let claims = history.filter { $0.event == "claimed" }
        try #require(claims.count == 1)
        #expect(releases[0]["job"] as? String == "released")
        #expect(releases[0]["runner"] as? String == claims[0].runner)
        // The run's last transaction completed the job: nothing was journaled after it.
        #expect(releases[0]["journal"] as? String == "\(history.count)", "\(releases[0]) vs \(history.count) journal lines")
    }
}
