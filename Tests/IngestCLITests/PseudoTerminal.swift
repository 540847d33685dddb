import Foundation
import IngestTestSupport
import Testing

/// `ingest` run with a pseudo-terminal as its standard input, output and error, as in a
/// terminal window: `isatty` is true and `TIOCGWINSZ` reports the size given here. The
/// test reads everything the child writes, escape sequences included, from the master side.
///
/// Made with `openpty` rather than `script(1)` so the test knows the child's pid (to
/// signal it) and sets the window size itself.
final class TerminalChild: @unchecked Sendable {
    struct End: Sendable {
        let status: Int32
        let signalled: Bool
        let timedOut: Bool
        /// Everything written to the terminal, raw.
        let output: String
    }

    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)
    /// Reads the master side; it closes it once the child and all it started are gone (EIO).
    private let terminalOutput: PipeDrain

    /// Starts `ingest arguments` on a new terminal of `columns` × `rows`.
    init(_ arguments: [String], environment: [String: String?], columns: Int = 100, rows: Int = 30) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw TerminalError("openpty failed: errno \(errno)") }
        // Other tests start children at the same time; none of them should inherit either side.
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.executableURL = URL(fileURLWithPath: ChildProcess.executable("ingest"))
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        merged["TERM"] = "xterm"
        // The size must come from the terminal, not from variables the test runner may have.
        merged["COLUMNS"] = nil
        merged["LINES"] = nil
        process.environment = merged
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        let exited = exited
        process.terminationHandler = { _ in exited.signal() }
        do {
            try ChildProcess.launch(process)
        } catch {
            close(slave)
            close(master)
            throw error
        }
        // Only the child holds the slave now, so reading the master ends (EIO) when it exits.
        close(slave)
        terminalOutput = PipeDrain(FileHandle(fileDescriptor: master, closeOnDealloc: false))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var pid: Int32 { process.processIdentifier }

    /// Everything the child wrote so far.
    var output: String { terminalOutput.textSoFar }

    func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits (polling every 50 ms, at most `timeout` × the ``TestTime`` scale) until the output so far satisfies `condition`.
    func waitForOutput(timeout: Duration = .seconds(60), _ condition: (String) -> Bool) async throws -> Bool {
        try await RunBlocking.poll(timeout: timeout) { condition(self.output) }
    }

    /// Waits at most `timeout` (× the ``TestTime`` scale) for the child to exit (then kills
    /// it) and for its output to drain.
    func wait(timeout: Duration = .seconds(90)) async throws -> End {
        let seconds = Double(TestTime.scaled(timeout).components.seconds)
        let exited = exited, pid = pid, terminalOutput = terminalOutput
        let (timedOut, reported) = try await RunBlocking.run { () -> (Bool, Bool) in
            var late = false
            var reported = true
            if exited.wait(timeout: .now() + seconds) == .timedOut {
                late = true
                kill(pid, SIGKILL)
                // Bounded too: if Foundation never reports the end, the test fails on
                // `timedOut` instead of hanging the run.
                reported = ChildEnd.wait(exited, seconds: 30)
            }
            // The terminal's buffer drains as soon as the child is gone, unless a child of some
            // other test inherited the slave side in the instant before it became close-on-exec.
            _ = terminalOutput.text(waitingAtMost: 10)
            return (late, reported)
        }
        return End(
            status: reported ? process.terminationStatus : -1,
            signalled: reported && process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, output: output
        )
    }
}

struct TerminalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Taking apart what a program drew on a terminal.
enum TerminalText {
    /// `ESC [` parameters and a final letter: cursor moves, erases.
    static var escape: Regex<Substring> { /\x1B\[[0-9;?]*[A-Za-z]/ }

    /// The visible lines, in the order they were drawn: escape sequences removed, split at
    /// carriage returns and newlines (the terminal turns each `\n` into `\r\n`).
    static func lines(_ raw: String) -> [String] {
        raw.replacing(escape, with: "").split(whereSeparator: \.isNewline).map(String.init)
    }

    /// How many times the cursor was moved up to redraw a block in place.
    static func redraws(_ raw: String) -> Int {
        raw.matches(of: /\x1B\[[0-9]+A/).count
    }

    /// The lines written after an erase-line sequence: the lines of live blocks.
    static func blockLines(_ raw: String) -> [String] {
        raw.split(separator: "\u{1B}[2K", omittingEmptySubsequences: true).dropFirst().map { piece in
            let line = piece.prefix { !$0.isNewline && $0 != "\u{1B}" }
            return String(line)
        }
    }
}

/// The screen a terminal shows after `raw`, as far as `ingest` draws on it: text, carriage
/// return, newline, cursor up (`ESC [ n A`), erase line (`ESC [ 2 K`) and erase below
/// (`ESC [ J`). The screen is as tall as it needs to be (nothing scrolls off), so the
/// result is every line still visible or scrolled back, top to bottom.
enum TerminalScreen {
    static func render(_ raw: String) -> [String] {
        var lines: [[Unicode.Scalar]] = [[]]
        var row = 0, column = 0
        var scalars = raw.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar {
            case "\r": column = 0
            case "\n":
                row += 1
                if row == lines.count { lines.append([]) }
            case "\u{1B}":
                guard scalars.next() == "[" else { continue }
                var parameter = ""
                var final: Unicode.Scalar = " "
                while let next = scalars.next() {
                    if ("0"..."9").contains(next) || next == ";" || next == "?" { parameter.unicodeScalars.append(next) } else {
                        final = next
                        break
                    }
                }
                switch final {
                case "A": row = max(0, row - (Int(parameter) ?? 1))
                case "K" where parameter == "2": lines[row] = []
                case "J" where parameter.isEmpty || parameter == "0":
                    lines[row] = Array(lines[row].prefix(column))
                    lines.removeSubrange((row + 1)...)
                default: break
                }
            default:
                while lines[row].count < column { lines[row].append(" ") }
                if column < lines[row].count { lines[row][column] = scalar } else { lines[row].append(scalar) }
                column += 1
            }
        }
        var text = lines.map { line in String(String.UnicodeScalarView(line)) }
        while text.last?.isEmpty == true { text.removeLast() }
        return text
    }
}
