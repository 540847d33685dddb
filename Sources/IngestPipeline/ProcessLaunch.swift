public import Foundation

/// Starts child processes one at a time. swift-corelibs-foundation's `Process.run()` is not
/// safe to call from several threads at once on Linux (it crashed copying the child's
/// arguments and environment while another launch ran), so a host or test that starts
/// children with `Process` should start them all through this lock. Only the launch is
/// serialised; the children run in parallel. (The exec embedder does not use `Process`: it
/// starts its shell with `posix_spawn`, see `ExecSpawn`.)
public enum ProcessLaunch {
    private static let lock = NSLock()

    /// Runs `process.run()` under the process-wide launch lock.
    /// - Throws: What `Process.run()` throws (the executable is missing, cannot be started).
    public static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
    }
}
