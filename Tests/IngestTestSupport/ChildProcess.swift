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
        let outData = PipeDrain(outPipe.fileHandleForReading)
        let errData = PipeDrain(errPipe.fileHandleForReading)
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        var timedOut = false
        if finished.wait(timeout: .now() + TestTime.seconds(timeout)) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            // A killed child's end is reported within moments. If Foundation never reports
            // it, the status is unknown: the test fails on `timedOut` rather than hanging.
            guard ChildEnd.wait(finished, seconds: 30) else {
                return ProcessOutput(status: -1, stdout: outData.textSoFar, stderr: errData.textSoFar, timedOut: true)
            }
        }
        return ProcessOutput(
            status: process.terminationStatus, stdout: outData.text(), stderr: errData.text(), timedOut: timedOut
        )
    }
}

/// Bounded waits for a child's end, for the helpers that run children.
public enum ChildEnd {
    /// Waits at most `seconds` (× the ``TestTime`` scale) for `semaphore`; true if it came.
    public static func wait(_ semaphore: DispatchSemaphore, seconds: Double) -> Bool {
        semaphore.wait(timeout: .now() + TestTime.seconds(seconds)) == .success
    }

    /// `process.waitUntilExit()` with a bound: at most `seconds` (× the ``TestTime`` scale);
    /// true if the process ended.
    public static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: TestTime.seconds(seconds))
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }
}
