#if canImport(Glibc)
internal import Glibc
#endif

/// An advisory `flock(2)` on the store directory itself: every process that opens a store
/// for writing holds it shared for as long as the store is open; `ingest compact` holds it
/// exclusively while it swaps in the compacted file, so no writer can be left writing to
/// the file that was replaced.
///
/// It locks the directory, not a file in it, so it needs no file of its own (nothing is
/// created next to a foreign or damaged store) and works in a read-only directory.
final class StoreLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Takes the lock shared, waiting up to `patience` while a compaction holds it.
    static func shared(_ path: String, patience: Duration = .seconds(120)) throws(StoreError) -> StoreLock {
        let lock = try open(path)
        let deadline = ContinuousClock.now + patience
        while flock(lock.descriptor, LOCK_SH | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw lockFailed(path) }
            guard ContinuousClock.now < deadline else {
                throw .busy(path, "`ingest compact` has held it for over \(patience); try again when it has finished")
            }
            usleep(50_000)
        }
        return lock
    }

    /// Takes the lock exclusively, or throws `busy` at once when any writer has the store open.
    static func exclusive(_ path: String) throws(StoreError) -> StoreLock {
        let lock = try open(path)
        guard flock(lock.descriptor, LOCK_EX | LOCK_NB) == 0 else {
            guard errno == EWOULDBLOCK else { throw lockFailed(path) }
            throw .busy(path, "another process (a runner, or a command that writes) has it open; stop it and try again")
        }
        return lock
    }

    private static func open(_ path: String) throws(StoreError) -> StoreLock {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw lockFailed(path) }
        return StoreLock(descriptor: descriptor)
    }

    private static func lockFailed(_ path: String) -> StoreError {
        .cannotCreate(path, "cannot lock the store directory: \(String(cString: strerror(errno)))")
    }
}
