internal import Foundation
internal import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// How a child process of ``ExecEmbedder`` ended.
enum ExecExit: Sendable, Equatable {
    /// It exited with this status.
    case status(Int32)
    /// A signal killed it.
    case signal(Int32)
    /// It closed its standard output but had not exited a while later.
    case stillRunning
}

/// Why one request/reply exchange with the child failed.
enum ExecChildFailure: Error, Sendable {
    /// No complete reply line before the deadline.
    case timedOut
    /// The child closed its standard output (it exited, crashed or closed the stream).
    case ended(ExecExit)
    /// A reply line grew past the limit without a newline.
    case lineTooLong
    /// The child wrote a line before it had been sent the whole request.
    case unsolicited([UInt8])
    /// A system call on the pipes failed.
    case io(String)
}

/// One running `/bin/sh -c COMMAND` with pipes on its standard streams.
///
/// Not thread-safe except for ``kill()``: ``ExecSession`` uses it from its serial queue
/// only. The child runs in its own process group (see ``ExecSpawn``), so ``kill()`` reaches
/// the program the shell started as well as the shell; ``ExecReaper`` reaps it.
final class ExecChild: @unchecked Sendable {
    /// The shell's process id, which is also the process group id.
    let pid: Int32
    /// The tail of what the child wrote to its standard error.
    let stderrTail: ExecStderrTail
    /// How many replies the child has given.
    private(set) var repliesRead = 0

    private let reaper: ExecReaper
    /// Our end of the child's stdin (non-blocking).
    private let input: Int32
    /// Our end of the child's stdout.
    private let output: Int32
    /// Bytes read from stdout after the last complete line.
    private var buffer: [UInt8] = []
    /// False once a write failed with `EPIPE`: the child no longer reads its stdin.
    private var inputOpen = true
    private var closed = false

    /// Starts `/bin/sh -c command` with its standard streams on fresh pipes.
    /// - Parameters:
    ///   - command: The shell command line.
    ///   - logger: Receives each line the child writes to standard error, if given.
    /// - Throws: `ExecSpawnError` when the shell cannot be started.
    init(command: String, logger: Logger?) throws {
        let spawned = try ExecSpawn.start(command)
        self.pid = spawned.pid
        self.reaper = ExecReaper(pid: spawned.pid)
        self.input = spawned.stdin
        self.output = spawned.stdout
        self.stderrTail = ExecStderrTail(spawned.stderr, command: command, logger: logger)

        // Writes must never block the queue: the poll loop waits for room instead.
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
        _ = fcntl(input, F_SETNOSIGPIPE, 1)
        #endif
    }

    deinit {
        close()
    }

    /// Whether the child has not exited yet.
    var isRunning: Bool { !reaper.hasExited }

    /// Sends one request and reads one reply line, writing and reading at the same time so
    /// that neither side can block the other on a full pipe.
    /// - Parameters:
    ///   - request: The request bytes, ending with a newline.
    ///   - deadline: When to give up waiting.
    ///   - maxLineBytes: The longest reply line accepted, newline excluded.
    /// - Returns: The reply line without its newline.
    /// - Throws: `ExecChildFailure` saying what went wrong; the child is then unusable.
    func exchange(
        _ request: [UInt8], deadline: ContinuousClock.Instant, maxLineBytes: Int
    ) throws(ExecChildFailure) -> [UInt8] {
        if !buffer.isEmpty {
            // Output nobody asked for, left over from before this request.
            throw .unsolicited(buffer)
        }
        var written = 0
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let writing = inputOpen && written < request.count
            var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
            if writing {
                fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0))
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { throw .timedOut }
            let ready = poll(&fds, nfds_t(fds.count), Self.pollMilliseconds(remaining))
            if ready < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .io("poll failed: \(Self.describeErrno(code))")
            }
            if ready == 0 { continue }

            if writing, fds[1].revents != 0 {
                written += try writeSome(request, from: written)
            }
            guard fds[0].revents != 0 else { continue }

            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                throw .io("reading its stdout failed: \(Self.describeErrno(code))")
            }
            if count == 0 {
                throw .ended(awaitExit())
            }
            let received = chunk[0..<count]
            if let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                let lineLength = buffer.count + newline
                guard lineLength <= maxLineBytes else { throw .lineTooLong }
                var line = buffer
                line.append(contentsOf: received[..<newline])
                buffer = Array(received[(newline + 1)...])
                guard written == request.count else { throw .unsolicited(line) }
                repliesRead += 1
                return line
            }
            guard buffer.count + count <= maxLineBytes else { throw .lineTooLong }
            buffer.append(contentsOf: received)
        }
    }

    /// Writes as much of `request` from `offset` as the pipe takes now.
    /// - Returns: The number of bytes written (0 when the pipe is full or the child has
    ///   closed its stdin — the reply or end of stdout then tells the rest).
    /// - Throws: `ExecChildFailure.io` when the write fails for another reason.
    private func writeSome(_ request: [UInt8], from offset: Int) throws(ExecChildFailure) -> Int {
        let fd = input
        let result: Int = Self.withoutSIGPIPE {
            request.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return 0 }
                return write(fd, base + offset, bytes.count - offset)
            }
        }
        if result >= 0 { return result }
        let code = errno
        switch code {
        case EAGAIN, EINTR:
            return 0
        case EPIPE:
            inputOpen = false
            return 0
        default:
            throw .io("writing to its stdin failed: \(Self.describeErrno(code))")
        }
    }

    /// Waits briefly for the child to exit after it closed its stdout.
    /// - Returns: How it ended, or `.stillRunning` if it is still running after 2 s.
    func awaitExit() -> ExecExit {
        reaper.wait(seconds: 2) ?? .stillRunning
    }

    /// Sends `SIGKILL` to the child's process group. Safe from any thread.
    func kill() {
        reaper.kill()
    }

    /// Kills the child if it still runs, closes our pipe ends and waits a moment for it to
    /// be reaped (the reaper reaps it in any case). Idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        kill()
        _ = closeDescriptor(input)
        _ = closeDescriptor(output)
        _ = reaper.wait(seconds: 2)
    }

    /// Runs `body` with `SIGPIPE` kept from this process, so a write to a child that died
    /// fails with `EPIPE` instead of killing us. On Linux the signal is blocked for this
    /// thread and a pending one raised by the write is consumed; on Darwin the pipe is
    /// marked `F_SETNOSIGPIPE` when the child starts.
    private static func withoutSIGPIPE(_ body: () -> Int) -> Int {
        #if os(Linux)
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var pending = sigset_t()
        sigpending(&pending)
        let alreadyPending = sigismember(&pending, SIGPIPE) == 1
        let result = body()
        let code = errno
        if result < 0, code == EPIPE, !alreadyPending {
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeSignal, nil, &now)
        }
        errno = code
        return result
        #else
        return body()
        #endif
    }

    /// The poll timeout for `remaining`, rounded up to whole milliseconds.
    private static func pollMilliseconds(_ remaining: Duration) -> Int32 {
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow else { return Int32.max }
        let total = milliseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000 + 1)
        return total.overflow ? Int32.max : Int32(clamping: total.partialValue)
    }

    /// `strerror` text for an errno value.
    static func describeErrno(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Drains a child's standard error on its own thread and keeps its last lines for error
/// messages.
final class ExecStderrTail: @unchecked Sendable {
    /// How many lines are kept.
    static let keptLines = 20
    /// How many bytes of one line are kept.
    static let keptLineBytes = 1000

    private let lock = NSLock()
    private var lines: [String] = []
    private var partial: [UInt8] = []
    private let finished = DispatchSemaphore(value: 0)
    private let command: String
    private let logger: Logger?

    /// Starts a thread that reads `fd` to its end and closes it.
    /// - Parameters:
    ///   - fd: The read end of the child's stderr pipe, which this tail then owns.
    ///   - command: The command, for log metadata.
    ///   - logger: Receives each line, if given.
    init(_ fd: Int32, command: String, logger: Logger?) {
        self.command = command
        self.logger = logger
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                consume(chunk[0..<count])
            }
            lock.withLock {
                if !partial.isEmpty { appendLine(partial) }
                partial = []
            }
            _ = closeDescriptor(fd)
            finished.signal()
        }
    }

    /// Waits up to `seconds` for the child's stderr to reach its end.
    func waitForEnd(seconds: Double) {
        if finished.wait(timeout: .now() + seconds) == .success { finished.signal() }
    }

    /// The last `count` non-empty lines, oldest first.
    func last(_ count: Int) -> [String] {
        lock.withLock { Array(lines.suffix(count)) }
    }

    private func consume(_ bytes: ArraySlice<UInt8>) {
        lock.withLock {
            var rest = bytes
            while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                appendPartial(rest[..<newline])
                appendLine(partial)
                partial = []
                rest = rest[(newline + 1)...]
            }
            appendPartial(rest)
        }
    }

    /// Adds to the unfinished line, dropping what goes past the kept length. Lock held.
    private func appendPartial(_ bytes: ArraySlice<UInt8>) {
        let room = Self.keptLineBytes - partial.count
        if room > 0 { partial.append(contentsOf: bytes.prefix(room)) }
    }

    /// Records one finished line. Lock held.
    private func appendLine(_ bytes: [UInt8]) {
        var line = String(decoding: bytes, as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        logger?.info("embedder stderr", metadata: ["command": .string(command), "line": .string(line)])
        lines.append(line)
        if lines.count > Self.keptLines { lines.removeFirst(lines.count - Self.keptLines) }
    }
}
