internal import CExecSpawn
internal import Foundation

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Why `/bin/sh` could not be started for an exec embedder.
struct ExecSpawnError: Error, CustomStringConvertible {
    let description: String
}

/// A `/bin/sh -c COMMAND` just started with `posix_spawn`, in a process group of its own,
/// with its standard streams on fresh pipes.
///
/// `posix_spawn` rather than Foundation's `Process`: swift-corelibs-foundation's
/// `Process.run()` must be serialised process-wide (see ``ProcessLaunch``) and over-reads a
/// buffer while scanning `/proc/self/fd` (swift-corelibs-foundation PR #5472), and it reaps
/// the child on its own thread, out of our control.
struct ExecSpawn {
    /// The shell's process id, which is also its process group id.
    let pid: pid_t
    /// Our end of the child's stdin (write end), close-on-exec.
    let stdin: Int32
    /// Our end of the child's stdout (read end), close-on-exec.
    let stdout: Int32
    /// Our end of the child's stderr (read end), close-on-exec.
    let stderr: Int32

    /// Starts `/bin/sh -c command`. The caller owns the three descriptors and must have the
    /// child reaped (``ExecReaper``).
    /// - Throws: `ExecSpawnError` when a pipe cannot be made or the shell cannot be started.
    static func start(_ command: String) throws(ExecSpawnError) -> ExecSpawn {
        var opened: [Int32] = []
        // Our pipe ends are closed on failure; the child's ends always, once it has them.
        var childEnds: [Int32] = []
        defer { childEnds.forEach { _ = closeDescriptor($0) } }
        do {
            let input = try makePipe()
            opened += [input.read, input.write]
            let output = try makePipe()
            opened += [output.read, output.write]
            let errors = try makePipe()
            opened += [errors.read, errors.write]
            childEnds = [input.read, output.write, errors.write]
            let pid = try spawnShell(command, stdin: input.read, stdout: output.write, stderr: errors.write)
            return ExecSpawn(pid: pid, stdin: input.write, stdout: output.read, stderr: errors.read)
        } catch {
            childEnds = []
            opened.forEach { _ = closeDescriptor($0) }
            throw error
        }
    }

    /// `posix_spawn`s the shell with the given descriptors as its fd 0, 1 and 2, every
    /// other descriptor closed, default signal dispositions and an empty signal mask (a
    /// host's ignored or blocked signals must not reach the embedder), in a new process
    /// group whose id is the shell's pid, so `killpg` also reaches what the shell started.
    private static func spawnShell(
        _ command: String, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(ExecSpawnError) -> pid_t {
        var arguments = ["/bin/sh", "-c", command].map { $0.withCString { strdup($0) } }
        var environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)".withCString { strdup($0) } }
        defer {
            arguments.forEach { free($0) }
            environment.forEach { free($0) }
        }
        guard !arguments.contains(nil), !environment.contains(nil) else {
            throw ExecSpawnError(description: "out of memory copying its arguments and environment")
        }
        arguments.append(nil)
        environment.append(nil)

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // dup2 clears close-on-exec on the copy; `makePipe` keeps every end above 2, so no
        // dup2 here overwrites another end.
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var flags = Int32(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
        // Descriptors a host opened without close-on-exec must not leak into the embedder
        // (an inherited pipe end would keep another reader from seeing its end), as
        // Foundation's Process did not let them. ENOSYS (glibc < 2.34): close-on-exec only.
        _ = c_exec_spawn_addclosefrom(&actions, 3)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        sigdelset(&everySignal, SIGKILL)
        sigdelset(&everySignal, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)

        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments, environment)
        guard result == 0 else {
            throw ExecSpawnError(description: "posix_spawn of /bin/sh failed: \(ExecChild.describeErrno(result))")
        }
        return pid
    }

    /// A pipe with both ends close-on-exec and numbered above 2 (fd 0–2 may be free when
    /// the host closed its own standard streams, and the dup2s above must not overlap).
    private static func makePipe() throws(ExecSpawnError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard c_exec_spawn_pipe_cloexec(&ends) == 0 else {
            throw ExecSpawnError(description: "could not create a pipe: \(ExecChild.describeErrno(errno))")
        }
        for index in ends.indices where ends[index] <= 2 {
            let moved = fcntl(ends[index], F_DUPFD_CLOEXEC, 3)
            let code = errno
            _ = closeDescriptor(ends[index])
            ends[index] = moved
            guard moved >= 0 else {
                ends.filter { $0 >= 0 }.forEach { _ = closeDescriptor($0) }
                throw ExecSpawnError(description: "could not set up a pipe: \(ExecChild.describeErrno(code))")
            }
        }
        return (ends[0], ends[1])
    }
}

/// `close(2)`, under a name that does not clash with ``ExecChild/close()``.
func closeDescriptor(_ fd: Int32) -> Int32 {
    close(fd)
}
