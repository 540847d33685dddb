import Foundation
import IngestTestSupport
import Testing

/// The cron line and the systemd units under tools/: they name real flags, the stop timeout
/// fits the shutdown grace, and `systemd-analyze verify` accepts the units (where it exists).
@Suite("scheduling examples")
struct SchedulingExamplesTests {
    static let tools = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools")

    private func read(_ relative: String) throws -> String {
        try String(contentsOf: Self.tools.appendingPathComponent(relative), encoding: .utf8)
    }

    /// The value of `key=` in a unit file.
    private func setting(_ key: String, in unit: String) -> String? {
        unit.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test("the service's stop timeout leaves room for the shutdown grace, and exit 75 is success")
    func stopTimeoutFitsTheGrace() throws {
        let unit = try read("systemd/ingest.service")
        let command = try #require(setting("ExecStart", in: unit))
        let words = command.split(separator: " ").map(String.init)
        let grace = try #require(words.firstIndex(of: "--shutdown-grace").map { words[$0 + 1] })
        let timeout = try #require(setting("TimeoutStopSec", in: unit))
        let graceSeconds = try #require(Int(grace.dropLast()))
        let timeoutSeconds = try #require(Int(timeout.dropLast()))
        #expect(grace.hasSuffix("s") && timeout.hasSuffix("s"))
        #expect(timeoutSeconds >= graceSeconds * 2, "TimeoutStopSec \(timeout) leaves too little room for --shutdown-grace \(grace)")
        #expect(setting("SuccessExitStatus", in: unit) == "75")
        #expect(setting("KillSignal", in: unit) == "SIGTERM")
    }

    @Test("the commands in the examples parse: `ingest run … --help` accepts every flag they use")
    func examplesUseRealFlags() async throws {
        let service = try #require(setting("ExecStart", in: try read("systemd/ingest.service")))
        let cronLine = try #require(try read("cron/ingest.crontab").split(separator: "\n").first { $0.hasPrefix("*/15") })
        for command in [service, String(cronLine)] {
            let words = command.split(separator: " ").map(String.init)
            let start = try #require(words.firstIndex(of: "run"))
            let end = words.firstIndex { $0.hasPrefix(">") } ?? words.endIndex
            // Every flag with its value, against a store that does not exist: argument parsing
            // must succeed (so the exit is not 64) before the run finds nothing to do.
            let arguments = Array(words[start..<end])
            let world = RunWorld("examples")
            let output = try await world.ingest(arguments)
            #expect(output.status == 0, "\(arguments): \(output.status) \(output.stderr)")
        }
    }

    @Test(
        "systemd-analyze verify accepts the units, and refuses a broken one",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"))
    )
    func systemdAnalyzeVerify() async throws {
        let directory = TemporaryDirectory("units")
        let binary = ChildProcess.executable("ingest")
        let service = try read("systemd/ingest.service").replacingOccurrences(of: "/usr/local/bin/ingest", with: binary)
        try service.write(toFile: directory.appending("ingest.service"), atomically: true, encoding: .utf8)
        try read("systemd/ingest.timer").write(toFile: directory.appending("ingest.timer"), atomically: true, encoding: .utf8)
        let units = [directory.appending("ingest.service"), directory.appending("ingest.timer")]
        let good = try await RunBlocking.run { try ChildProcess.run("/usr/bin/systemd-analyze", ["verify"] + units, timeout: 60) }
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")

        // The negative control: the same check fails on a unit that names a missing program.
        let broken = service.replacingOccurrences(of: binary, with: directory.appending("missing/ingest"))
        try broken.write(toFile: directory.appending("ingest.service"), atomically: true, encoding: .utf8)
        let bad = try await RunBlocking.run { try ChildProcess.run("/usr/bin/systemd-analyze", ["verify"] + units, timeout: 60) }
        #expect(bad.status != 0)
    }
}
