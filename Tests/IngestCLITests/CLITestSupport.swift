import Foundation
import IngestTestSupport
import Testing

/// The exit codes DESIGN.md documents; anything else (a signal number, a trap) is a crash.
let documentedExitCodes: Set<Int32> = [0, 1, 64, 65, 66, 70, 73, 74, 75]

/// One test's world: its own temporary directory, a small source tree to submit, and a
/// store path inside the directory that does not exist until something creates it.
final class Sandbox: Sendable {
    static let executable = ChildProcess.executable("ingest")

    let directory: TemporaryDirectory
    /// A directory holding one text file.
    let source: String
    /// `<directory>/store`: not created by the sandbox.
    let store: String

    init() throws {
        directory = TemporaryDirectory("ingest-cli")
        source = directory.appending("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data("hello, ingest\n".utf8).write(to: URL(fileURLWithPath: source + "/a.txt"))
        store = directory.appending("store")
    }

    /// A path inside the sandbox (not created).
    func path(_ component: String) -> String { directory.appending(component) }

    /// Makes a directory inside the sandbox and returns its path.
    func makeDirectory(_ component: String) throws -> String {
        let made = path(component)
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        return made
    }

    /// Every child runs without the caller's `INGEST_STORE`, and with the XDG/HOME state
    /// directories inside the sandbox, so a command that ignores `--store` can never touch
    /// the real user's store.
    private var baseEnvironment: [String: String?] {
        ["INGEST_STORE": nil, "XDG_STATE_HOME": path("xdg-default"), "HOME": path("home-default")]
    }

    /// Runs `ingest arguments` exactly as given and checks that it behaved: finished in
    /// time, exited with a documented code, no stack trace, errors on stderr only.
    @discardableResult
    func runRaw(
        _ arguments: [String], environment: [String: String?] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessOutput {
        let merged = baseEnvironment.merging(environment) { _, given in given }
        // The wait runs off Swift's cooperative pool, which other tests need.
        let output = try await RunBlocking.run {
            try ChildProcess.run(Self.executable, arguments, environment: merged, timeout: 60)
        }
        expectWellBehaved(output, arguments, sourceLocation: sourceLocation)
        return output
    }

    /// Runs `ingest arguments --store <store>` (the sandbox's store unless `store` is given).
    @discardableResult
    func run(
        _ arguments: String..., store: String? = nil, environment: [String: String?] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessOutput {
        try await runRaw(arguments + ["--store", store ?? self.store], environment: environment, sourceLocation: sourceLocation)
    }

    /// Submits the sandbox's source (with `--id id` when given), expects success, and
    /// returns the printed id.
    @discardableResult
    func submit(
        id: String? = nil, source: String? = nil, store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        var arguments = ["submit", source ?? self.source]
        if let id { arguments += ["--id", id] }
        let output = try await runRaw(arguments + ["--store", store ?? self.store], sourceLocation: sourceLocation)
        try #require(output.status == 0, "submit failed: \(output.stderr)", sourceLocation: sourceLocation)
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `ingest status ID --json`, parsed.
    func statusJSON(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let output = try await run("status", id, "--json", sourceLocation: sourceLocation)
        try #require(output.status == 0, "status \(id) failed: \(output.stderr)", sourceLocation: sourceLocation)
        return try jsonObject(output.stdout, sourceLocation: sourceLocation)
    }

    /// `ingest list [--status S] --json`, parsed.
    func listJSON(status: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        var arguments = ["list", "--json", "--store", store]
        if let status { arguments += ["--status", status] }
        let output = try await runRaw(arguments, sourceLocation: sourceLocation)
        try #require(output.status == 0, "list failed: \(output.stderr)", sourceLocation: sourceLocation)
        return try jsonArray(output.stdout, sourceLocation: sourceLocation)
    }

    /// The ids `ingest list [--status S] --json` returns, in order.
    func listedIDs(status: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        try await listJSON(status: status, sourceLocation: sourceLocation).map { job in
            try #require(job["id"] as? String, sourceLocation: sourceLocation)
        }
    }
}

// MARK: - Checks

/// A command finished within its timeout, exited with a documented code, printed no stack
/// trace, and — when it failed — said why in one `ingest: error:`/`Error:` line on stderr
/// and nothing on stdout.
func expectWellBehaved(_ output: ProcessOutput, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    let command = "ingest " + arguments.joined(separator: " ")
    #expect(!output.timedOut, "\(command) did not finish within 60 s", sourceLocation: sourceLocation)
    #expect(
        documentedExitCodes.contains(output.status),
        "\(command) exited with \(output.status), not a documented code (a signal or trap?)\n\(output.stderr)",
        sourceLocation: sourceLocation
    )
    for marker in ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault"] {
        #expect(!output.stderr.contains(marker), "\(command) crashed:\n\(output.stderr)", sourceLocation: sourceLocation)
    }
    guard output.status != 0 else { return }
    let firstLine = output.stderr.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
    #expect(
        firstLine.hasPrefix("ingest: error:") || firstLine.hasPrefix("Error:"),
        "\(command) failed (\(output.status)) without an error line on stderr: \(output.stderr.debugDescription)",
        sourceLocation: sourceLocation
    )
    // `verify` is the exception: the problems it finds are its output.
    if arguments.first != "verify" {
        #expect(output.stdout.isEmpty, "\(command) failed but printed on stdout: \(output.stdout.debugDescription)", sourceLocation: sourceLocation)
    }
}

/// Expects `output` to be a failure with exit code `code`.
func expectFailure(_ output: ProcessOutput, _ code: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(output.status == code, "expected exit \(code), got \(output.status): \(output.stderr)", sourceLocation: sourceLocation)
}

// MARK: - JSON and files

func jsonObject(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(parsed as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
}

func jsonArray(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(parsed as? [[String: Any]], "not a JSON array of objects: \(text)", sourceLocation: sourceLocation)
}

/// The phases array of a job object.
func phases(of job: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    try #require(job["phases"] as? [[String: Any]], "no phases array in \(job)", sourceLocation: sourceLocation)
}

/// True when `value` is JSON null.
func isNull(_ value: Any?) -> Bool { value is NSNull }

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

func fileSize(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require((attributes[.size] as? NSNumber)?.intValue)
}

/// Parses the ISO 8601 timestamps the JSON carries (with milliseconds).
func parseTimestamp(_ value: Any?) -> Date? {
    guard let text = value as? String else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}

/// Whitespace-separated fields of the text line that starts with `label`.
func fields(ofLineStartingWith label: String, in text: String) -> [String]? {
    for line in text.split(separator: "\n") {
        let parts = line.split(whereSeparator: \.isWhitespace).map(String.init)
        if parts.first == label { return parts }
    }
    return nil
}
