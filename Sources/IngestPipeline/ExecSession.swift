internal import Foundation
internal import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The child process behind an ``ExecEmbedder`` and the serial queue its batches run on.
///
/// Every exchange runs on `queue`, a dedicated serial dispatch queue, so batches never
/// interleave on the pipes and blocking `poll`/`read` calls stay off Swift's cooperative
/// thread pool. `child` and `isShutDown` are guarded by `lock`, so that ``shutdown()`` can
/// kill the child at once from any thread, even while a batch is waiting for it.
final class ExecSession: @unchecked Sendable {
    let command: String
    let dimension: Int
    let timeout: Duration
    let maxLineBytes: Int
    let logger: Logger?

    private let queue = DispatchQueue(label: "IngestPipeline.ExecEmbedder")
    private let lock = NSLock()
    private var child: ExecChild?
    private var isShutDown = false

    /// The start of every message: names the command.
    var prefix: String { "exec embedder `\(command)`: " }

    init(command: String, dimension: Int, timeout: Duration, maxLineBytes: Int, logger: Logger?) {
        self.command = command
        self.dimension = dimension
        self.timeout = timeout
        self.maxLineBytes = maxLineBytes
        self.logger = logger
    }

    /// Sends one batch to the child and checks its reply, on the session's queue.
    /// - Parameters:
    ///   - texts: The batch; not empty.
    ///   - offset: The index of its first text in the caller's list, for item errors.
    /// - Returns: Per text, its vector or an item error.
    /// - Throws: `EmbedderError` with scope `.batch` when the child failed as a whole.
    func run(_ texts: [String], offset: Int) async throws -> [Result<[Float], EmbedderError>] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(EmbedderError) in
                    try self.runOnQueue(texts, offset: offset)
                })
            }
        }
    }

    /// Kills the child now and refuses later batches.
    func shutdown() {
        let running = lock.withLock {
            isShutDown = true
            let running = child
            child = nil
            return running
        }
        guard let running else { return }
        running.kill()
        queue.async { running.close() }
    }

    // MARK: - On the queue

    private func runOnQueue(_ texts: [String], offset: Int) throws(EmbedderError) -> [Result<[Float], EmbedderError>] {
        let child = try currentChild()
        let request: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            request = Array(try encoder.encode(["texts": texts])) + [UInt8(ascii: "\n")]
        } catch {
            throw EmbedderError(scope: .batch, message: prefix + "could not encode the request: \(error)")
        }
        let line: [UInt8]
        do {
            line = try child.exchange(request, deadline: .now + timeout, maxLineBytes: maxLineBytes)
        } catch {
            let message = describe(error, child: child)
            discard(child)
            throw EmbedderError(scope: .batch, message: message)
        }
        do {
            return try ExecReply.results(
                of: line, count: texts.count, dimension: dimension, offset: offset, prefix: prefix
            )
        } catch {
            // The reply did not match the request: start afresh so the next one lines up.
            discard(child)
            throw error
        }
    }

    /// The running child, started if there is none or the last one has exited.
    private func currentChild() throws(EmbedderError) -> ExecChild {
        let (existing, shutDown) = lock.withLock { (child, isShutDown) }
        if shutDown {
            throw EmbedderError(scope: .batch, message: prefix + "the embedder has been shut down")
        }
        if let existing {
            if existing.isRunning { return existing }
            discard(existing)
        }
        let started: ExecChild
        do {
            started = try ExecChild(command: command, logger: logger)
        } catch {
            throw EmbedderError(
                scope: .batch,
                message: prefix + "could not start `/bin/sh -c` to run it: \(error)"
            )
        }
        let accepted = lock.withLock {
            guard !isShutDown else { return false }
            child = started
            return true
        }
        guard accepted else {
            started.close()
            throw EmbedderError(scope: .batch, message: prefix + "the embedder has been shut down")
        }
        return started
    }

    /// Stops using `old`: kills it and closes its pipes.
    private func discard(_ old: ExecChild) {
        lock.withLock {
            if child === old { child = nil }
        }
        old.close()
    }

    /// The message for a failed exchange: what happened, the child's last stderr lines,
    /// and what to do.
    private func describe(_ failure: ExecChildFailure, child: ExecChild) -> String {
        let restarts = " It is restarted for the next batch."
        let stdoutHint = " Only reply lines may go to stdout; send logs to stderr."
        switch failure {
        case .timedOut:
            child.kill()
            child.stderrTail.waitForEnd(seconds: 1)
            return prefix + "did not answer within \(Self.format(timeout)); killed it with SIGKILL."
                + restarts + stderrSuffix(child)
                + " If the model is slow to load or batches are large, raise the timeout."
        case .ended(let exit):
            child.stderrTail.waitForEnd(seconds: 1)
            if lock.withLock({ isShutDown }) {
                return prefix + "the embedder was shut down while a batch was in flight."
            }
            if child.repliesRead == 0, exit == .status(127) {
                return prefix + "could not start the command: not found (the shell exited with status 127)."
                    + stderrSuffix(child) + " Check that the program is installed and on PATH."
            }
            if child.repliesRead == 0, exit == .status(126) {
                return prefix + "could not start the command: not executable (the shell exited with status 126)."
                    + stderrSuffix(child) + " Check the file's permissions."
            }
            return prefix + Self.describe(exit) + restarts + stderrSuffix(child)
        case .lineTooLong:
            return prefix + "wrote a line longer than \(Self.format(bytes: maxLineBytes)) to stdout, "
                + "which is not a reply." + stdoutHint + restarts
        case .unsolicited(let line):
            return prefix + "wrote to stdout before it was sent the whole request: «\(ExecReply.snippet(line))»."
                + stdoutHint + restarts
        case .io(let text):
            return prefix + text + "." + restarts + stderrSuffix(child)
        }
    }

    /// ` Its stderr ended with: «…».`, or nothing when the child wrote no stderr.
    private func stderrSuffix(_ child: ExecChild) -> String {
        let lines = child.stderrTail.last(3)
        guard !lines.isEmpty else { return "" }
        return " Its stderr ended with: «" + lines.joined(separator: " | ") + "»."
    }

    /// How a child ended, as a sentence: `exited with status 3 before answering.`
    static func describe(_ exit: ExecExit) -> String {
        switch exit {
        case .status(let status) where status > 128 && status <= 128 + 64:
            // The shell reports a program killed by signal N as status 128 + N.
            return "exited with status \(status) before answering: "
                + "the program it ran was killed by \(signalName(status - 128))."
        case .status(let status):
            return "exited with status \(status) before answering."
        case .signal(let signal):
            return "was killed by \(signalName(signal)) before answering."
        case .stillRunning:
            return "closed its stdout without exiting."
        }
    }

    /// `signal 6 (SIGABRT)`.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL",
            SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        ]
        if let name = names[signal] { return "signal \(signal) (\(name))" }
        return "signal \(signal)"
    }

    /// `30 s`, `0.5 s`.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds / 1_000_000_000_000_000)
        return "\(milliseconds / 1000) s"
    }

    /// `64 MiB`, or a byte count when it is not whole mebibytes.
    static func format(bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
