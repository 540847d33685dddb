import Foundation
import IngestTestSupport
import Testing

/// Runs `tools/powercut` (DESIGN.md: a run cut off by power loss resumes from its last
/// committed progress) against the debug `ingest` this test target was built with: the
/// store lives on a FUSE file system that drops every write not yet synced when the power
/// is cut. Twenty cuts — some inside commits, some tearing a write, some letting part of
/// the unsynced writes through — must lose no update
/// the runner acknowledged, leave `ingest verify` clean and end in the export of a clean
/// run; and the negative control — the same with LMDB's `MDB_NOSYNC` — must lose
/// acknowledged updates, so a passing power-cut test means something.
///
/// Needs root and `/dev/fuse` to mount (CI has both), plus `fuse3`, `libfuse3-dev`,
/// `pkg-config`, a C compiler and `python3` (tools/bootstrap installs the packages).
@Suite(
    "tools/powercut", .serialized,
    .enabled(if: FUSEMount.isPossible, "needs root and a usable /dev/fuse to mount a FUSE file system")
)
struct PowercutToolTests {
    /// Runs the tool on the debug binary with `extra` arguments.
    private func powercut(_ extra: [String]) async throws -> (ProcessOutput, [String: Any]) {
        try await RepositoryTool.run("powercut", extra)
    }

    @Test("20 power cuts, some tearing or scattering unsynced writes: nothing acknowledged lost, verify clean, the export equals a clean run's", .timeLimit(.minutes(TestTime.minutes(10))))
    func powercutPasses() async throws {
        let (output, report) = try await powercut(["--cuts", "20", "--tear", "--scatter"])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(!output.timedOut, "tools/powercut did not finish in 600 s\n\(shown)")
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("powercut: PASS"), "\(shown)")
        #expect((report["cuts"] as? Int ?? 0) >= 20, "\(shown)")
        #expect(report["lost"] as? Int == 0, "\(shown)")
        #expect(report["verifyFailures"] as? Int == 0, "\(shown)")
        #expect(report["exportMismatches"] as? Int == 0, "\(shown)")
        #expect(report["exportsIdentical"] as? Bool == true, "\(shown)")
        // The cuts must have had something to lose, or the test proves little: progress the
        // runner acknowledged, cuts that threw away unsynced writes of a commit, and tears.
        #expect((report["acknowledged"] as? Int ?? 0) > 0, "no acknowledged progress before any cut\n\(shown)")
        #expect((report["cutsDroppingWrites"] as? Int ?? 0) >= 1, "no cut dropped an unsynced data write\n\(shown)")
        #expect((report["tornWrites"] as? Int ?? 0) >= 1, "--tear tore no write\n\(shown)")
        #expect((report["scatterCuts"] as? Int ?? 0) >= 1, "--scatter scattered on no cut\n\(shown)")
    }

    @Test("the negative control (MDB_NOSYNC) loses acknowledged updates, and the tool says so", .timeLimit(.minutes(TestTime.minutes(10))))
    func negativeControlDetected() async throws {
        let (output, report) = try await powercut(["--negative-control", "--cuts", "10"])
        let shown = "exit \(output.status)\n\(output.stdout)\n\(output.stderr)"
        #expect(!output.timedOut, "tools/powercut --negative-control did not finish in 600 s\n\(shown)")
        #expect(output.status == 0, "\(shown)")
        #expect(output.stdout.contains("powercut negative control: DETECTED"), "\(shown)")
        #expect(report["detected"] as? Bool == true, "\(shown)")
        #expect((report["lost"] as? Int ?? 0) > 0, "\(shown)")
    }
}

/// Whether this process may mount a FUSE file system: root, and a /dev/fuse it can open.
enum FUSEMount {
    static var isPossible: Bool { getuid() == 0 && access("/dev/fuse", R_OK | W_OK) == 0 }
}
