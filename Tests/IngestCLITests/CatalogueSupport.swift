import Foundation
import IngestTestSupport
import Testing

/// One row of the bad-input catalogue: a bad input a user can give, the command they run,
/// and the exit code and message they get. `perform` reproduces it against the real `ingest`
/// binary and returns the output of the command the row names.
struct BadInput: Sendable, CustomTestStringConvertible {
    enum Category: String, Sendable, CaseIterable {
        case sources = "source files and directories"
        case flags = "flags and values"
        case environment
        case stores
        case embedders = "embedder commands"
        case signals
        case jobs
    }

    let id: String
    let category: Category
    /// What the user does, in a few words.
    let situation: String
    /// The command, as the table shows it.
    let command: String
    let exitCode: Int32
    /// A fragment of what the user reads (stdout or stderr).
    let message: String
    let perform: @Sendable (CatalogueContext) async throws -> ProcessOutput

    var testDescription: String { id }
}

/// What a catalogue row works with: its own sandbox (a `RunWorld`) and helpers to set up
/// sources, stores and damage.
struct CatalogueContext: Sendable {
    let world: RunWorld

    /// `ingest arguments --store <store>` (the world's store unless given).
    func ingest(_ arguments: [String], store: String? = nil, environment: [String: String?] = [:], timeout: TimeInterval = 90) async throws -> ProcessOutput {
        try await raw(arguments + ["--store", store ?? world.store], environment: environment, timeout: timeout)
    }

    /// `ingest arguments` exactly as given, with the world's environment plus `environment`.
    func raw(_ arguments: [String], environment: [String: String?] = [:], timeout: TimeInterval = 90) async throws -> ProcessOutput {
        let merged = world.environment.merging(environment) { _, given in given }
        return try await RunBlocking.run {
            try ChildProcess.run(RunWorld.executable, arguments, environment: merged, timeout: timeout)
        }
    }

    /// `ingest arguments` as the unprivileged user `nobody` when this process is root (root
    /// ignores permission bits); as this user otherwise.
    func asUnprivileged(_ arguments: [String]) async throws -> ProcessOutput {
        guard getuid() == 0 else { return try await raw(arguments) }
        let environment = world.environment
        let full = ["--reuid=65534", "--regid=65534", "--clear-groups", RunWorld.executable] + arguments
        return try await RunBlocking.run { try ChildProcess.run("/usr/bin/setpriv", full, environment: environment, timeout: 90) }
    }

    /// A source directory `name` holding `files` (name → contents).
    func source(_ name: String = "source", _ files: [String: [UInt8]] = ["a.txt": Array("A plain text file about otters.\n".utf8)]) throws -> String {
        let directory = try world.makeDirectory(name)
        for (file, contents) in files { try RunCorpus.writeBytes(contents, to: directory + "/" + file) }
        return directory
    }

    /// Submits `source` as job `id` (which must succeed) with `extra` flags.
    func submit(_ source: String, id: String = "job", _ extra: [String] = [], store: String? = nil) async throws {
        let output = try await ingest(["submit", source, "--id", id] + extra, store: store)
        try #require(output.status == 0, "setup: submit failed: \(output.stderr)")
    }

    /// Submits `source`, runs it (any documented exit), and returns `ingest status job`.
    func runThenStatus(_ source: String, _ extra: [String] = []) async throws -> ProcessOutput {
        try await submit(source, extra)
        let run = try await ingest(["run", "--progress", "none"])
        try #require(RunExit.documented.contains(run.status), "setup: run crashed: \(run.status) \(run.stderr)")
        return try await ingest(["status", "job"])
    }

    /// A store with one submitted job `job`; returns its path.
    func submittedStore() async throws -> String {
        try await submit(try source())
        return world.store
    }

    /// Damages the world's store's `data.mdb` with `change`.
    func damage(_ change: (inout DataFileImage) throws -> Void) throws {
        let path = world.store + "/data.mdb"
        var image = try DataFileImage(contentsOf: path)
        try change(&image)
        try image.write(to: path)
    }

    /// Installs `script` (Python) as `name` and returns the `exec:` embedder flags for it.
    func execEmbedder(_ script: String, _ name: String, arguments: String = "") throws -> [String] {
        let path = try RunScripts.install(script, as: name, in: world)
        return ["--embedder", "exec:python3 \(path)\(arguments.isEmpty ? "" : " " + arguments)", "--dimension", "8"]
    }

    /// Starts a run whose embed phase hangs on a gate file until `open()`; returns once the
    /// embedder holds a batch.
    func gatedRun(_ extra: [String]) async throws -> (run: RunningIngest, gate: String) {
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 4, bytes: 1024, seed: 9)
        let gate = world.path("gate")
        try RunCorpus.writeText("closed", to: gate)
        try await submit(source, try execEmbedder(RunScripts.gated, "gate.py", arguments: "\(gate) 8"))
        let run = try world.startRun(extra)
        let started = try await RunBlocking.poll { FileManager.default.fileExists(atPath: gate + ".pids") }
        try #require(started, "setup: the gated embedder never started")
        return (run, gate)
    }
}

/// Extra embedder scripts for the catalogue.
enum CatalogueScripts {
    /// Answers every request with a line that is not JSON.
    static let garbage = """
        import sys
        for line in sys.stdin:
            print("this is not json", flush=True)
        """

    /// Answers the first request, then exits 9 on the next one (it is restarted per batch).
    static let midStream = """
        import json, sys
        answered = False
        for line in sys.stdin:
            if answered:
                sys.exit(9)
            texts = json.loads(line)["texts"]
            print(json.dumps({"vectors": [[0.5] * 8 for _ in texts]}), flush=True)
            answered = True
        """
}

extension RunEnd {
    /// As a `ProcessOutput`, for rows that signal a running process.
    var output: ProcessOutput {
        ProcessOutput(status: signalled ? 128 + status : status, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }
}

// MARK: - The table

enum CatalogueTable {
    static let begin = "<!-- bad-input-catalogue:begin -->"
    static let end = "<!-- bad-input-catalogue:end -->"

    /// The markdown table of `rows`, as README.md carries it between the markers.
    static func markdown(_ rows: [BadInput]) -> String {
        var lines = [
            "| # | Category | What the user does | Command | Exit | What they read (fragment) |",
            "|---|---|---|---|---|---|",
        ]
        for (index, row) in rows.enumerated() {
            let cells = ["\(index + 1)", row.category.rawValue, row.situation, "`\(row.command)`", "\(row.exitCode)", "`\(row.message)`"]
            lines.append("| " + cells.map(escape).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func escape(_ cell: String) -> String { cell.replacingOccurrences(of: "|", with: "\\|") }

    /// The text between the markers of `document`, or `nil` when a marker is missing.
    static func section(of document: String) -> String? {
        guard let start = document.range(of: begin), let stop = document.range(of: end, range: start.upperBound..<document.endIndex) else {
            return nil
        }
        return String(document[start.upperBound..<stop.lowerBound]).trimmingCharacters(in: .newlines) + "\n"
    }

    /// The package's root directory (this file is Tests/IngestCLITests/CatalogueSupport.swift).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
