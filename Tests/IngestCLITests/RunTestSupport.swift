import Foundation
import IngestTestSupport
import Testing

// Support for the process-level runner tests (Run*Tests): a sandbox per test, `ingest`
// children run off Swift's cooperative pool, a long-running `ingest run` that can be
// signalled, seeded corpora, and the JSON the CLI prints, decoded.
//
// Every name here starts with `Run` so nothing collides with the other CLI test files.

// MARK: - The world of one test

/// One test's directory, with a default store inside it. Children never see the caller's
/// `INGEST_STORE`, and their XDG/HOME state directories point inside the sandbox.
final class RunWorld: Sendable {
    static let executable = ChildProcess.executable("ingest")

    let directory: TemporaryDirectory
    /// `<directory>/store`; created by the first `submit`.
    let store: String

    init(_ name: String = "run") {
        directory = TemporaryDirectory("ingest-\(name)")
        store = directory.appending("store")
    }

    /// A path inside the sandbox (not created).
    func path(_ component: String) -> String { directory.appending(component) }

    /// Makes a directory inside the sandbox and returns its path.
    @discardableResult
    func makeDirectory(_ component: String) throws -> String {
        let made = path(component)
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        return made
    }

    /// The environment every child gets on top of this process's.
    var environment: [String: String?] {
        ["INGEST_STORE": nil, "XDG_STATE_HOME": path("xdg"), "HOME": path("home")]
    }

    /// Runs `ingest arguments --store STORE` to the end, off the cooperative pool, and
    /// checks that it finished in time and exited with a documented code.
    @discardableResult
    func ingest(
        _ arguments: [String], store: String? = nil, timeout: TimeInterval = 90,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessOutput {
        let full = arguments + ["--store", store ?? self.store]
        let environment = environment
        let output = try await RunBlocking.run {
            try ChildProcess.run(Self.executable, full, environment: environment, timeout: timeout)
        }
        #expect(!output.timedOut, "ingest \(full.joined(separator: " ")) did not finish within \(timeout) s", sourceLocation: sourceLocation)
        #expect(
            RunExit.documented.contains(output.status),
            "ingest \(full.joined(separator: " ")) exited \(output.status) (undocumented: a crash?)\n\(output.stderr)",
            sourceLocation: sourceLocation
        )
        for marker in ["Fatal error", "Stack dump", "Segmentation fault"] {
            #expect(!output.stderr.contains(marker), "ingest \(arguments.first ?? "") crashed:\n\(output.stderr)", sourceLocation: sourceLocation)
        }
        return output
    }

    /// `ingest submit SOURCE --id ID EXTRA…`, which must succeed.
    func submit(
        _ source: String, id: String, _ extra: [String] = [], store: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let output = try await ingest(["submit", source, "--id", id] + extra, store: store, sourceLocation: sourceLocation)
        try #require(output.status == 0, "submit \(id) failed (\(output.status)): \(output.stderr)", sourceLocation: sourceLocation)
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id, sourceLocation: sourceLocation)
    }

    /// `ingest status ID --json`, decoded.
    func status(_ id: String, store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> RunJobStatus {
        let output = try await ingest(["status", id, "--json"], store: store, sourceLocation: sourceLocation)
        try #require(output.status == 0, "status \(id) failed (\(output.status)): \(output.stderr)", sourceLocation: sourceLocation)
        return try RunJSON.decode(RunJobStatus.self, output.stdout, sourceLocation: sourceLocation)
    }

    /// `ingest list --json`, decoded.
    func list(store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [RunJobStatus] {
        let output = try await ingest(["list", "--json"], store: store, sourceLocation: sourceLocation)
        try #require(output.status == 0, "list failed (\(output.status)): \(output.stderr)", sourceLocation: sourceLocation)
        return try RunJSON.decode([RunJobStatus].self, output.stdout, sourceLocation: sourceLocation)
    }

    /// `ingest history ID --json`, decoded.
    func history(_ id: String, store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [RunHistoryEntry] {
        let output = try await ingest(["history", id, "--json"], store: store, sourceLocation: sourceLocation)
        try #require(output.status == 0, "history \(id) failed (\(output.status)): \(output.stderr)", sourceLocation: sourceLocation)
        return try RunJSON.decode([RunHistoryEntry].self, output.stdout, sourceLocation: sourceLocation)
    }

    /// `ingest export [--job ID]`: the raw JSON lines, which must be printed with exit 0.
    func export(job: String? = nil, store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let output = try await ingest(["export"] + (job.map { ["--job", $0] } ?? []), store: store, sourceLocation: sourceLocation)
        try #require(output.status == 0, "export failed (\(output.status)): \(output.stderr)", sourceLocation: sourceLocation)
        return output.stdout
    }

    /// The export's lines, decoded.
    func exportLines(job: String? = nil, store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [RunExportLine] {
        let text = try await export(job: job, store: store, sourceLocation: sourceLocation)
        return try text.split(separator: "\n").map { line in
            try RunJSON.decode(RunExportLine.self, String(line), sourceLocation: sourceLocation)
        }
    }

    /// `ingest verify`, which must pass.
    func expectVerifies(store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let output = try await ingest(["verify"], store: store, sourceLocation: sourceLocation)
        #expect(output.status == 0, "verify failed (\(output.status)):\n\(output.stdout)\(output.stderr)", sourceLocation: sourceLocation)
    }

    /// Installs the gated exec embedder (8 dimensions), which answers a batch only once the
    /// gate file is gone. Returns the gate, closed, and the `submit` arguments choosing it.
    func closedGateEmbedder() throws -> (gate: String, arguments: [String]) {
        let gate = path("gate")
        try RunCorpus.writeText("closed", to: gate)
        let script = try RunScripts.install(RunScripts.gated, as: "gate.py", in: self)
        return (gate, ["--embedder", "exec:python3 \(script) \(gate) 8", "--dimension", "8"])
    }

    /// Starts `ingest run ARGUMENTS --store STORE --progress none` in the background, with
    /// `extraEnvironment` on top of the sandbox's.
    func startRun(_ arguments: [String] = [], store: String? = nil, extraEnvironment: [String: String?] = [:]) throws -> RunningIngest {
        try RunningIngest(
            executable: Self.executable,
            arguments: ["run"] + arguments + ["--store", store ?? self.store, "--progress", "none"],
            environment: environment.merging(extraEnvironment) { $1 }
        )
    }

    /// Runs `ingest run ARGUMENTS` to the end (with `--progress none`).
    func run(_ arguments: [String] = [], store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessOutput {
        try await ingest(["run"] + arguments + ["--progress", "none"], store: store, sourceLocation: sourceLocation)
    }

    /// Polls `ingest status ID --json` every 50 ms until `condition` holds, for at most
    /// `timeout` (× the ``TestTime`` scale). Returns the status that satisfied it, or `nil` (after recording an issue).
    func waitForStatus(
        _ id: String, store: String? = nil, timeout: Duration = .seconds(30), _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation, until condition: (RunJobStatus) -> Bool
    ) async throws -> RunJobStatus? {
        let deadline = ContinuousClock.now + TestTime.scaled(timeout)
        var last: RunJobStatus?
        while ContinuousClock.now < deadline {
            let status = try await self.status(id, store: store, sourceLocation: sourceLocation)
            if condition(status) { return status }
            last = status
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("waited \(timeout) for \(what); last status: \(last.map { String(describing: $0) } ?? "none")", sourceLocation: sourceLocation)
        return nil
    }
}

/// Exit codes.
enum RunExit {
    static let documented: Set<Int32> = [0, 1, 64, 65, 66, 70, 73, 74, 75]
    static let ok: Int32 = 0
    static let jobFailed: Int32 = 1
    static let workRemains: Int32 = 75
}

// MARK: - Blocking work off the cooperative pool

enum RunBlocking {
    /// Runs `body` on a global dispatch queue, so a blocking wait never holds one of the
    /// few threads of Swift's cooperative pool that other tests need.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Polls `condition` every 50 ms for at most `timeout` (× the ``TestTime`` scale).
    static func poll(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + TestTime.scaled(timeout)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}

// MARK: - A running `ingest run`

/// How a background child ended.
struct RunEnd: Sendable, CustomStringConvertible {
    /// The exit status, or the signal number when `signalled`.
    let status: Int32
    let signalled: Bool
    let stdout: String
    let stderr: String
    let timedOut: Bool
    /// From the call to `wait` until the child ended.
    let waited: Duration

    var description: String {
        "\(signalled ? "signal" : "exit") \(status)\(timedOut ? " (timed out, killed)" : ""); stdout: \(stdout.debugDescription); stderr: \(stderr.suffix(2000).debugDescription)"
    }
}

/// `ingest run` started as a Foundation `Process`, so the test can signal it while it runs.
final class RunningIngest: @unchecked Sendable {
    private let process = Process()
    private let stdoutReader: PipeDrain
    private let stderrReader: PipeDrain
    private let exited = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var ended: RunEnd?

    init(executable: String, arguments: [String], environment: [String: String?]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = exited
        process.terminationHandler = { _ in exited.signal() }
        try ChildProcess.launch(process)
        stdoutReader = PipeDrain(out.fileHandleForReading)
        stderrReader = PipeDrain(err.fileHandleForReading)
    }

    deinit { killIfRunning() }

    var pid: Int32 { process.processIdentifier }

    /// Sends `signal` to the child.
    func send(_ signal: Int32) {
        _ = kill(pid, signal)
    }

    /// Kills the child if it still runs (for tests that fail half-way).
    func killIfRunning() {
        if process.isRunning { _ = kill(pid, SIGKILL) }
    }

    /// Waits at most `timeout` (× the ``TestTime`` scale) for the child to end (then kills
    /// it), and returns how it ended.
    func wait(timeout: Duration = .seconds(90)) async throws -> RunEnd {
        if let ended = lock.withLock({ ended }) { return ended }
        let start = ContinuousClock.now
        let scaled = TestTime.scaled(timeout)
        let seconds = Double(scaled.components.seconds) + Double(scaled.components.attoseconds) / 1e18
        let exited = exited, pid = pid
        let (timedOut, reported) = try await RunBlocking.run { () -> (Bool, Bool) in
            if exited.wait(timeout: .now() + seconds) == .timedOut {
                _ = kill(pid, SIGKILL)
                // Bounded too: if Foundation never reports the end, the test fails on
                // `timedOut` instead of hanging the run.
                return (true, ChildEnd.wait(exited, seconds: 30))
            }
            return (false, true)
        }
        let waited = ContinuousClock.now - start
        let stdout = try await RunBlocking.run { [stdoutReader] in stdoutReader.text() }
        let stderr = try await RunBlocking.run { [stderrReader] in stderrReader.text() }
        let end = RunEnd(
            status: reported ? process.terminationStatus : -1,
            signalled: reported && process.terminationReason == .uncaughtSignal,
            stdout: stdout, stderr: stderr, timedOut: timedOut, waited: waited
        )
        lock.withLock { ended = end }
        return end
    }
}

// MARK: - What the CLI prints

/// `ingest status ID --json`.
struct RunJobStatus: Decodable, Sendable, CustomStringConvertible {
    let id: String
    let source: String
    let status: String
    let activity: String
    let held: Bool
    let progress: Double
    let currentPhase: String?
    let phases: [RunPhaseStatus]
    let itemsFailed: UInt64
    let attempts: UInt32

    /// Items processed over all phases.
    var processed: UInt64 { phases.reduce(0) { $0 + $1.processed } }

    func phase(_ name: String) -> RunPhaseStatus? { phases.first { $0.name == name } }

    var description: String {
        "\(id) \(status) (\(activity)\(held ? ", held" : "")) " + phases.map(\.description).joined(separator: ", ")
    }
}

struct RunPhaseStatus: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let status: String
    let processed: UInt64
    let total: UInt64?
    let itemsFailed: UInt64
    let pauseReason: String?
    let attempts: UInt32
    let lastError: String?

    var description: String {
        "\(name) \(status) \(processed)/\(total.map(String.init) ?? "?")"
            + (itemsFailed > 0 ? " failed \(itemsFailed)" : "") + (pauseReason.map { " paused:\($0)" } ?? "")
            + (lastError.map { " error: \($0)" } ?? "")
    }
}

/// One `ingest history ID --json` entry.
struct RunHistoryEntry: Decodable, Sendable {
    let sequence: UInt64
    let event: String
    let phase: String?
    let from: String?
    let to: String?
    let reason: String?
    let error: String?
    let runner: String?

    /// The pid in a `claimed` entry's runner (`pid 123 (boot …, start …)`).
    var runnerPID: Int32? {
        guard let runner, runner.hasPrefix("pid ") else { return nil }
        return Int32(runner.dropFirst(4).prefix { $0.isNumber })
    }
}

/// One line of `ingest export`.
struct RunExportLine: Decodable, Sendable {
    let source: String
    let document: String
    let ordinal: Int
    let textHash: String
    let vectorHash: String
    let indexed: Bool
}

/// One `ingest search --json` hit.
struct RunSearchHit: Decodable, Sendable {
    let source: String
    let document: String
    let ordinal: Int
    let score: Double
    let text: String
}

enum RunJSON {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            Issue.record("cannot decode \(type) from \(text.prefix(2000).debugDescription): \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }
}

// MARK: - Corpora and scripts

enum RunCorpus {
    /// SplitMix64, seeded, so every corpus is the same on every run.
    typealias Generator = SeededGenerator

    /// Writes `files` text files of about `bytes` bytes each (paragraphs of seeded random
    /// words) into `directory` (created), named `f00000.txt`, `f00001.txt`, ….
    /// - Returns: The file names, sorted.
    @discardableResult
    static func write(into directory: String, files: Int, bytes: Int, seed: UInt64, prefix: String = "f") throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var generator = Generator(seed: seed)
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let vocabulary: [[UInt8]] = (0..<1500).map { _ in
            (0..<Int.random(in: 3...9, using: &generator)).map { _ in letters[Int(generator.next() % 26)] }
        }
        var names: [String] = []
        for index in 0..<files {
            var text: [UInt8] = []
            text.reserveCapacity(bytes + 600)
            while text.count < bytes {
                if !text.isEmpty { text += [0x0A, 0x0A] }
                for word in 0..<60 {
                    if word > 0 { text.append(0x20) }
                    text += vocabulary[Int(generator.next() % UInt64(vocabulary.count))]
                }
                text.append(0x2E)
            }
            text.append(0x0A)
            let name = prefix + String(repeating: "0", count: max(0, 5 - String(index).count)) + String(index) + ".txt"
            try Data(text).write(to: URL(fileURLWithPath: directory + "/" + name))
            names.append(name)
        }
        return names
    }

    /// Writes `text` to `path`.
    static func writeText(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// Python embedders for the exec: tests.
enum RunScripts {
    /// A correct embedder: `embed.py DIM` answers each text with DIM numbers derived from
    /// its SHA-256, so vectors are deterministic.
    static let embed = """
        import hashlib, json, sys
        dim = int(sys.argv[1])
        for line in sys.stdin:
            texts = json.loads(line)["texts"]
            vectors = []
            for text in texts:
                digest = hashlib.sha256(text.encode("utf-8")).digest()
                while len(digest) < dim:
                    digest += hashlib.sha256(digest).digest()
                vectors.append([(digest[i] - 128) / 128.0 for i in range(dim)])
            print(json.dumps({"vectors": vectors}), flush=True)
        """

    /// Like `embed`, but every request waits while the file `GATE` exists (at most 60 s),
    /// and each process appends its pid to `GATE.pids`: `gate.py GATE DIM`.
    static let gated = """
        import hashlib, json, os, sys, time
        gate, dim = sys.argv[1], int(sys.argv[2])
        with open(gate + ".pids", "a") as pids:
            pids.write(f"{os.getpid()}\\n")
        for line in sys.stdin:
            texts = json.loads(line)["texts"]
            deadline = time.time() + 60
            while os.path.exists(gate) and time.time() < deadline:
                time.sleep(0.05)
            vectors = []
            for text in texts:
                digest = hashlib.sha256(text.encode("utf-8")).digest()
                while len(digest) < dim:
                    digest += hashlib.sha256(digest).digest()
                vectors.append([(digest[i] - 128) / 128.0 for i in range(dim)])
            print(json.dumps({"vectors": vectors}), flush=True)
        """

    /// Reads one request, complains on stderr, and exits 3.
    static let crash = """
        import sys
        sys.stdin.readline()
        sys.stderr.write("model exploded: out of cheese\\n")
        sys.stderr.flush()
        sys.exit(3)
        """

    /// Reads one request and never answers.
    static let hang = """
        import sys, time
        sys.stdin.readline()
        time.sleep(600)
        """

    /// Writes `script` as `name` in `world` and returns its path.
    static func install(_ script: String, as name: String, in world: RunWorld) throws -> String {
        let path = world.path(name)
        try RunCorpus.writeText(script + "\n", to: path)
        return path
    }

    /// Whether process `pid` still runs (exists and is not a zombie).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // `pid (comm) S …`: the state follows the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}
