import Foundation
import IngestTestSupport
import Testing

/// Runs a harness from the repository's `tools/` (crashtest, powercut, soak) on the
/// debug `ingest` this test target was built with, and reads the JSON report it writes.
enum RepositoryTool {
    /// The repository root: this file is `<root>/Tests/IngestCLITests/RepositoryToolSupport.swift`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `tools/<name> [--quick] --binary <ingest> --json <report> <arguments>`; returns its
    /// output and its report (empty when it wrote none).
    static func run(
        _ name: String, _ arguments: [String], quick: Bool = true, timeout: TimeInterval = 600
    ) async throws -> (ProcessOutput, [String: Any]) {
        let script = repositoryRoot.appendingPathComponent("tools/\(name)").path
        #expect(FileManager.default.isExecutableFile(atPath: script), "\(script) is missing or not executable")
        let directory = TemporaryDirectory("\(name)-tool")
        let reportPath = directory.appending("report.json")
        let all = (quick ? ["--quick"] : []) + ["--binary", ChildProcess.executable("ingest"), "--json", reportPath] + arguments
        // Neither the caller's store nor a fault the caller exported may leak into the runs.
        // The wait runs off Swift's cooperative pool, which the other tests need.
        let output = try await RunBlocking.run {
            try ChildProcess.run(script, all, environment: ["INGEST_STORE": nil, "INGEST_FAULT": nil], timeout: timeout)
        }
        let report = (try? Data(contentsOf: URL(fileURLWithPath: reportPath)))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        return (output, report)
    }
}
