internal import Dispatch

/// Runs blocking store calls on dedicated threads, off Swift's cooperative pool: a write
/// waits for `fsync`, and a cooperative thread blocked on it would starve the workers.
final class StoreExecutor: Sendable {
    private let writer = DispatchQueue(label: "ingest.store.writer")
    private let readers = DispatchQueue(label: "ingest.store.reader", attributes: .concurrent)

    /// Runs `body` on the writer thread; writes are serial anyway (LMDB has one writer).
    func write<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            writer.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body` on a reader thread.
    func read<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            readers.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
