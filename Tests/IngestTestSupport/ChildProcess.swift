public import Foundation
internal import IngestPipeline

/// What a finished child process printed and how it ended.
public struct ProcessOutput: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// True when the process did not finish within the time given and was killed.
    public let timedOut: Bool

    public init(status: Int32, stdout: String, stderr: String, timedOut: Bool) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }
}

/// Runs built executables of this package for tests.
public enum ChildProcess {
    /// The directory holding the built products (`.build/debug` or `.build/release`): the
    /// one the running test binary sits in.
    public static var productsDirectory: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // The test binary may be inside a bundle: PackageTests.xctest/…
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("ingest").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return executable.deletingLastPathComponent()
    }

    /// The path of the built executable `name`.
    public static func executable(_ name: String) -> String {
        productsDirectory.appendingPathComponent(name).path
    }

    /// Starts `process` under the process-wide launch lock (see `ProcessLaunch`): Foundation's
    /// `Process.run()` crashes when called from several threads at once.
    public static func launch(_ process: Process) throws {
        try ProcessLaunch.run(process)
    }

    /// Runs `executable` with `arguments` and waits at most `timeout` seconds (× the
    /// ``TestTime`` scale).
    /// - Parameters:
    ///   - environment: Variables to set on top of this process's (a `nil` value removes one).
    ///   - stdin: Bytes to write to the child's standard input; it is closed afterwards.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:],
        stdin: String? = nil, timeout: TimeInterval = 60
    ) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try ProcessLaunch.run(process)
        // Drain both pipes while the child runs, so a chatty child never blocks on a full pipe.
        let outData = ReadAll(outPipe.fileHandleForReading)
        let errData = ReadAll(errPipe.fileHandleForReading)
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        var timedOut = false
        if finished.wait(timeout: .now() + TestTime.seconds(timeout)) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        return ProcessOutput(
            status: process.terminationStatus, stdout: outData.wait(), stderr: errData.wait(), timedOut: timedOut
        )
    }
}

/// Reads a pipe to its end on a background thread.
private final class ReadAll: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            // Closed here, not left to deallocation: Foundation's Process keeps its pipes
            // alive, and a long test run would otherwise pile up open descriptors (which also
            // makes Process.run's /proc/self/fd scan over-read and crash).
            try? handle.close()
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
