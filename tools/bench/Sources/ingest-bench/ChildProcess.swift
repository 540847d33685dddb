internal import Foundation

#if canImport(Glibc)
internal import Glibc
#endif

/// A child process started with `posix_spawn`, its output read through pipes, reaped with
/// `wait4` so that its resource usage (CPU, blocks written) is known.
final class ChildProcess {
    let pid: pid_t
    let startedNS: UInt64
    private let stdoutFD: Int32
    private let stderrFD: Int32

    struct Exit {
        var status: Int32
        var wallNS: UInt64
        var userSeconds: Double
        var systemSeconds: Double
        /// `ru_oublock` × 512: bytes the child caused to be written to storage.
        var writtenBytes: UInt64
        /// Peak resident set (all kinds), KiB.
        var maxRSSKiB: Int
    }

    /// Starts `arguments[0]` (an absolute path) with stdout and stderr on pipes.
    init(_ arguments: [String], environment: [String: String]? = nil) throws {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw BenchError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, outPipe[0])
        posix_spawn_file_actions_addclose(&actions, errPipe[0])
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let start = nowNS()
        let result = posix_spawn(&child, arguments[0], &actions, nil, argv, env)
        close(outPipe[1])
        close(errPipe[1])
        guard result == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw BenchError("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        pid = child
        startedNS = start
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    /// Reads stderr line by line as it comes, calling `body(line, nanoseconds since start)`
    /// until it returns false or the stream ends.
    func readStderrLines(_ body: (String, UInt64) -> Bool) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, 4096) }
            if count <= 0 { return }
            let at = nowNS() - startedNS
            buffer.append(contentsOf: chunk[0..<count])
            while let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                if !body(line, at) { return }
            }
        }
    }

    /// Drains both pipes (stdout counted, or kept when `keep`), waits for the child and returns its usage.
    func finish(keepStdout: Bool = false) -> (exit: Exit, stdoutBytes: Int, stdout: String, stderr: String) {
        let out = Locked<[UInt8]>([]), outCount = Locked<Int>(0), err = Locked<[UInt8]>([])
        let outFD = stdoutFD, errFD = stderrFD
        runThreads(2) { which in
            var chunk = [UInt8](repeating: 0, count: 65536)
            let fd = which == 0 ? outFD : errFD
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
                if count <= 0 { break }
                if which == 0 {
                    outCount.withLock { $0 += count }
                    if keepStdout { let part = Array(chunk[0..<count]); out.withLock { $0.append(contentsOf: part) } }
                } else {
                    let part = Array(chunk[0..<count])
                    err.withLock { $0.append(contentsOf: part) }
                }
            }
        }
        close(stdoutFD)
        close(stderrFD)
        let exit = wait()
        return (exit, outCount.value, String(decoding: out.value, as: UTF8.self), String(decoding: err.value, as: UTF8.self))
    }

    /// Waits for the child (without reading its pipes) and returns its usage.
    func wait() -> Exit {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let wall = nowNS() - startedNS
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Exit(
            status: code, wallNS: wall,
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            writtenBytes: UInt64(max(0, usage.ru_oublock)) * 512, maxRSSKiB: usage.ru_maxrss
        )
    }

    func signal(_ number: Int32) { kill(pid, number) }
}

/// Runs a command to the end; returns its exit, stdout and stderr.
@discardableResult
func runCommand(_ arguments: [String], environment: [String: String]? = nil) throws -> (exit: ChildProcess.Exit, stdout: String, stderr: String) {
    let child = try ChildProcess(arguments, environment: environment)
    let result = child.finish(keepStdout: true)
    return (result.exit, result.stdout, result.stderr)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// This executable's absolute path.
func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return CommandLine.arguments[0] }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Samples a process's /proc/PID/status on a thread: the high-water marks of RssAnon and
/// RssFile, the kernel's own VmHWM (peak RSS of the current image, all kinds), and the median
/// RssAnon sample — the steady state, which a high-water mark over a longer run overstates
/// by whatever transient it happened to catch.
final class MemorySampler: Sendable {
    struct Peaks: Sendable {
        var anonKiB: UInt64 = 0
        var fileKiB: UInt64 = 0
        var hwmKiB: UInt64 = 0
        var samples = 0
        var anonSamplesKiB: [UInt64] = []

        var medianAnonKiB: UInt64 {
            let sorted = anonSamplesKiB.sorted()
            return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        }
    }

    private let done = StopFlag()
    private let peaks = Locked(Peaks())
    private let finished = DispatchSemaphore(value: 0)

    init(pid: Int32, intervalMicroseconds: UInt32) {
        let done = done, peaks = peaks, finished = finished
        let thread = Thread {
            while !done.isSet {
                if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
                    var anon: UInt64 = 0, file: UInt64 = 0, hwm: UInt64 = 0
                    for line in text.split(separator: "\n") {
                        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                        guard parts.count >= 2, let value = UInt64(parts[1]) else { continue }
                        if parts[0] == "RssAnon:" { anon = value }
                        else if parts[0] == "RssFile:" { file = value }
                        else if parts[0] == "VmHWM:" { hwm = value }
                    }
                    if hwm > 0 {
                        peaks.withLock {
                            $0.anonKiB = max($0.anonKiB, anon)
                            $0.fileKiB = max($0.fileKiB, file)
                            $0.hwmKiB = max($0.hwmKiB, hwm)
                            $0.samples += 1
                            $0.anonSamplesKiB.append(anon)
                        }
                    }
                }
                usleep(intervalMicroseconds)
            }
            finished.signal()
        }
        thread.start()
    }

    func stop() -> Peaks {
        done.set()
        finished.wait()
        return peaks.value
    }
}
