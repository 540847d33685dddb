import Foundation
import IngestTestSupport
import Testing

/// A store with every database in use — two jobs over a 40-file corpus run to completion,
/// a third submitted and waiting — to be copied and damaged by the damaged-store tests.
final class DamageFixture: Sendable {
    let sandbox: Sandbox
    let corpus: String

    static let finished = ["done-a", "done-b"]
    static let waiting = "waiting"

    init() async throws {
        sandbox = try Sandbox()
        corpus = sandbox.path("corpus")
        try RunCorpus.write(into: corpus, files: 40, bytes: 3_000, seed: 17)
        for id in Self.finished { try await sandbox.submit(id: id, source: corpus) }
        let run = try await sandbox.runRaw(["run", "--progress", "none", "--store", sandbox.store])
        try #require(run.status == 0, "the fixture's run failed: \(run.stderr)")
        try await sandbox.submit(id: Self.waiting, source: corpus)
        // The truncation tests cut the file above the newest roots. When the last commit put
        // its roots on the file's last pages there is nothing to cut; a pause and a resume of
        // the waiting job commit twice more, and LMDB then reuses freed pages lower down.
        for _ in 0..<10 where try DataFileImage(contentsOf: dataPath).highestRoot + 8 > DataFileImage(contentsOf: dataPath).pageCount {
            for verb in ["pause", "resume"] {
                let output = try await sandbox.runRaw([verb, Self.waiting, "--store", sandbox.store])
                try #require(output.status == 0, "the fixture's \(verb) failed: \(output.stderr)")
            }
        }
    }

    var dataPath: String { sandbox.store + "/data.mdb" }

    /// A new store directory holding `bytes` as its `data.mdb` (and no lock file).
    func store(named name: String, bytes: Data) throws -> String {
        let directory = try sandbox.makeDirectory(name)
        try bytes.write(to: URL(fileURLWithPath: directory + "/data.mdb"))
        return directory
    }

    /// One command as a user types it, and whether it writes.
    struct Command: Sendable, CustomStringConvertible {
        let arguments: [String]
        let writes: Bool
        var description: String { "ingest " + arguments.joined(separator: " ") }
    }

    /// Every read command (backup into a fresh directory under `name`).
    func readCommands(_ name: String) -> [Command] {
        [
            ["status"], ["status", "done-a"], ["list", "--json"], ["history", "done-a"], ["search", "otters"],
            ["export"], ["verify"], ["backup", sandbox.path("backup-\(name)")],
        ].map { Command(arguments: $0, writes: false) }
    }

    /// Every command that writes.
    func writeCommands() -> [Command] {
        [
            ["submit", corpus, "--id", "another"], ["run", "--max-time", "20s", "--progress", "none"],
            ["pause", Self.waiting], ["resume", Self.waiting], ["retry", "done-a"],
        ].map { Command(arguments: $0, writes: true) }
    }

    /// Every command of the CLI.
    func allCommands(_ name: String) -> [Command] { readCommands(name) + writeCommands() }

    /// Runs `command` against `store` and checks it behaved (finished in time, documented
    /// exit code, no trap, an error line when it failed).
    func run(_ command: Command, store: String, environment: [String: String?] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessOutput {
        try await sandbox.runRaw(command.arguments + ["--store", store], environment: environment, sourceLocation: sourceLocation)
    }

    /// Runs `ingest arguments` without any check, for negative controls that expect a crash.
    /// The Swift runtime's backtrace is turned off: it only slows a crash down.
    func runUnchecked(_ arguments: [String], environment: [String: String?]) async throws -> ProcessOutput {
        var merged: [String: String?] = ["INGEST_STORE": nil, "XDG_STATE_HOME": sandbox.path("xdg"), "HOME": sandbox.path("home")]
        merged["SWIFT_BACKTRACE"] = "enable=no"
        for (key, value) in environment { merged[key] = value }
        let environment = merged
        return try await RunBlocking.run {
            try ChildProcess.run(Sandbox.executable, arguments, environment: environment, timeout: 60)
        }
    }
}

/// Whether a child crashed: ended by a signal (Foundation reports the signal number as its
/// status), or, in a sanitized build, by the sanitizer's report of the bad access (it stops
/// the process before the signal, with a status `ingest` does not document: see
/// tools/sanitize).
func endedBySignal(_ output: ProcessOutput) -> Bool {
    !output.timedOut && !documentedExitCodes.contains(output.status)
}
