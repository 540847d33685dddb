internal import Dispatch

/// Runs blocking test code (waiting on a child process, on a condition) on a global
/// dispatch queue, so it never holds one of the few threads of Swift's cooperative pool
/// that the other tests running in parallel need — on 2 cores there are only two.
public enum OffPool {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
