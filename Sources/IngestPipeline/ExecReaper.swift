internal import Foundation

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Waits for one child process on a thread of its own and reaps it.
///
/// It is the only place the child's pid is waited for, and it waits until the child has
/// exited, whether or not anyone still asks, so the child never stays a zombie — also when
/// ``ExecChild`` was closed or killed and has gone away. Signals to the child go through
/// ``kill()``, which never signals the pid once it has been reaped (it could belong to
/// another process by then).
final class ExecReaper: @unchecked Sendable {
    /// The child's pid, which is also its process group id.
    let pid: pid_t

    private let lock = NSLock()
    /// How the child ended; set, under `lock`, in the same step that reaps it.
    private var exit: ExecExit?
    /// Signalled once `exit` is set, and kept signalled.
    private let ended = DispatchSemaphore(value: 0)

    /// Starts the waiting thread for `pid`, which must be a child of this process that
    /// nothing else waits for.
    init(pid: pid_t) {
        self.pid = pid
        // The thread keeps the reaper alive until the child is reaped.
        Thread.detachNewThread { [self] in reap() }
    }

    /// Whether the child has exited and been reaped.
    var hasExited: Bool { lock.withLock { exit != nil } }

    /// Waits up to `seconds` for the child to end.
    /// - Returns: How it ended, or `nil` if it is still running.
    func wait(seconds: Double) -> ExecExit? {
        guard ended.wait(timeout: .now() + seconds) == .success else { return nil }
        ended.signal()  // keep it signalled for later waits
        return lock.withLock { exit }
    }

    /// Sends `SIGKILL` to the child's process group and to the child. Safe from any thread.
    func kill() {
        lock.withLock {
            // The group can outlive the shell (what it started in the background); its id
            // is not reused while a member lives, so it is signalled even after the reap,
            // as Foundation's Process-based version did.
            _ = killpg(pid, SIGKILL)
            // The pid itself only while it is ours: reaping happens under this lock.
            if exit == nil { _ = sendSignal(SIGKILL, to: pid) }
        }
    }

    private func reap() {
        // Wait without reaping first: until the reap the pid stays ours (a zombie), so
        // `kill()` can still signal it safely; the reap and `exit` then change together.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
        var status: Int32 = 0
        lock.withLock {
            var reaped: pid_t
            repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
            // ECHILD: the host reaps children itself (SIGCHLD ignored); the status is lost.
            exit = reaped == pid ? Self.decode(status) : .status(-1)
        }
        ended.signal()
    }

    /// A `waitpid` status (exited or killed by a signal: no WUNTRACED, no WCONTINUED).
    /// The WIFEXITED/WTERMSIG macros are not imported into Swift; this is their Linux and
    /// Darwin encoding: the low 7 bits hold the signal, 0 for a normal exit.
    static func decode(_ status: Int32) -> ExecExit {
        let signal = status & 0x7f
        return signal == 0 ? .status((status >> 8) & 0xff) : .signal(signal)
    }
}

/// `kill(2)`, under a name that does not clash with ``ExecReaper/kill()``.
private func sendSignal(_ signal: Int32, to pid: pid_t) -> Int32 {
    kill(pid, signal)
}
