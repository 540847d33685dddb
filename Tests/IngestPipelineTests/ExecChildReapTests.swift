import Foundation
import IngestTestSupport
import Testing
@testable import IngestPipeline

#if canImport(Glibc)
import Glibc
#endif

/// The exec embedder's shell is reaped however it ends — it exits, it is killed, or it is
/// closed while still running — so an `ingest run` with an exec embedder leaves no zombie,
/// and the way it ended is reported as the shell's exit status or signal.
struct ExecChildReapTests {
    /// The state letter in `/proc/PID/stat` (`Z` for a zombie), or `nil` when there is no
    /// such process: it has been reaped.
    static func state(of pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    }

    /// Polls until `condition` holds, for at most 30 s (× the TestTime scale).
    static func eventually(_ condition: @escaping @Sendable () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + TestTime.scaled(.seconds(30))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func aShellThatExitsIsReapedWithItsStatus() async throws {
        let child = try ExecChild(command: "exit 3", logger: nil)
        let pid = child.pid
        #expect(try await Self.eventually { !child.isRunning }, "the shell never exited")
        #expect(child.awaitExit() == .status(3))
        #expect(Self.state(of: pid) == nil, "pid \(pid) is still there: \(Self.state(of: pid).map(String.init) ?? "")")
    }

    @Test func aKilledShellIsReapedWithTheSignal() async throws {
        let child = try ExecChild(command: "sleep 60", logger: nil)
        let pid = child.pid
        #expect(Self.state(of: pid) != nil, "control: the shell runs")
        child.kill()
        #expect(try await Self.eventually { !child.isRunning }, "the shell survived SIGKILL")
        #expect(child.awaitExit() == .signal(SIGKILL))
        #expect(Self.state(of: pid) == nil)
    }

    @Test func closingARunningShellKillsAndReapsIt() async throws {
        let child = try ExecChild(command: "sleep 60", logger: nil)
        let pid = child.pid
        try await OffPool.run { child.close() }
        #expect(try await Self.eventually { Self.state(of: pid) == nil }, "pid \(pid) left behind after close()")
    }

    /// Negative control: a shell started the same way that nobody reaps stays a zombie, and
    /// `state(of:)` sees it — so the checks above would catch a missing reap.
    @Test func anUnreapedShellIsSeenAsAZombie() async throws {
        let spawned = try ExecSpawn.start("exit 0")
        for fd in [spawned.stdin, spawned.stdout, spawned.stderr] { close(fd) }
        let pid = spawned.pid
        #expect(try await Self.eventually { Self.state(of: pid) == "Z" }, "state: \(Self.state(of: pid).map(String.init) ?? "gone")")
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(Self.state(of: pid) == nil)
    }
}
