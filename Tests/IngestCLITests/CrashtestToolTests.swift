import Foundation
import IngestTestSupport
import Testing

/// Runs `tools/crashtest` (DESIGN.md, "The runner": group commit, exactly-once) against the
/// debug `ingest` this test target was built with: 25 SIGKILLs at random moments must lose
/// no chunk and commit no item twice, and the negative control — the same with the
/// `INGEST_FAULT=split-commit` fault — must be caught, so a passing crash test means something.
///
/// Needs `python3` on the PATH (the tool uses only its standard library).
@Suite("tools/crashtest", .serialized)
struct CrashtestToolTests {
    /// Runs the tool on the debug binary with 25 kills and `extra` arguments.
    private func crashtest(_ extra: [String]) async throws -> (ProcessOutput, [String: Any]) {
        try await RepositoryTool.run("crashtest", ["--kills", "25"] + extra)
    }

    @Test("25 SIGKILLs of ingest run: verify stays clean, the export equals an uninterrupted run's", .timeLimit(.minutes(TestTime.minutes(10))))
    func crashtestPasses() async throws {
        let (output, report) = try await crashtest([])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(!output.timedOut, "tools/crashtest did not finish in 600 s\n\(shown)")
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("crashtest: PASS"), "\(shown)")
        #expect(report["kills"] as? Int == 25, "\(shown)")
        #expect(report["verifyFailures"] as? Int == 0, "\(shown)")
        #expect(report["exportsIdentical"] as? Bool == true, "\(shown)")
        // Most kills must land mid-run (after a group commit of that run), or the test proves little.
        let midRun = report["killsMidRun"] as? Int ?? 0
        #expect(midRun >= 10, "only \(midRun) of 25 kills landed after a commit of their run\n\(shown)")
    }

    /// One worker and tiny group commits make every queue run empty again and again between
    /// commits — the case that once lost items when queue sequence numbers were reused.
    @Test("one worker, a group commit every 2 items: still nothing lost or doubled", .timeLimit(.minutes(TestTime.minutes(10))))
    func crashtestPassesWithTinyGroups() async throws {
        let (output, report) = try await crashtest(["--workers", "1", "--commit-items", "2", "--commit-interval", "5ms"])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("crashtest: PASS"), "\(shown)")
        #expect(report["exportsIdentical"] as? Bool == true, "\(shown)")
    }

    @Test("the negative control (split-commit fault) is detected", .timeLimit(.minutes(TestTime.minutes(10))))
    func negativeControlDetected() async throws {
        let (output, report) = try await crashtest(["--negative-control"])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(!output.timedOut, "tools/crashtest --negative-control did not finish in 600 s\n\(shown)")
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("crashtest negative control: DETECTED"), "\(shown)")
        #expect(report["detected"] as? Bool == true, "\(shown)")
    }
}
