public import Foundation

/// Reads a child's pipe to its end on a thread of its own, so a chatty child never blocks
/// on a full pipe, and hands over what it read with a bounded wait.
///
/// The end of a pipe is seen only once every process holding its write end closed it —
/// and a process started by another test in the same instant can inherit that end (Foundation's
/// `Pipe` is not close-on-exec). So a wait for the end is bounded too: past it the test gets
/// what was read so far and fails on its own assertions instead of hanging the whole run.
public final class PipeDrain: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    private var ended = false

    /// Starts reading `handle`; the drain owns it and closes it at the end.
    public init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let fd = handle.fileDescriptor
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count > 0 {
                    lock.withLock { data.append(contentsOf: chunk[0..<count]) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            // Closed here, not left to deallocation: Foundation's Process keeps its pipes
            // alive, and a long test run would otherwise pile up open descriptors (which also
            // makes Process.run's /proc/self/fd scan over-read and crash).
            try? handle.close()
            lock.withLock { ended = true }
            done.signal()
        }
    }

    /// Waits at most `seconds` (× the ``TestTime`` scale) for the end of the pipe, and
    /// returns everything read — all of it, or what came before the wait gave up.
    public func text(waitingAtMost seconds: Double = 30) -> String {
        if !lock.withLock({ ended }) { _ = done.wait(timeout: .now() + TestTime.seconds(seconds)) }
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }

    /// What was read so far, without waiting.
    public var textSoFar: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
