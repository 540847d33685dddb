internal import Synchronization

/// Waits for whichever of two tasks ends first, without waiting for the other.
/// - Returns: `true` when `first` ended first.
func firstToFinish(_ first: Task<Void, Never>, _ second: Task<Void, Never>) async -> Bool {
    let gate = OneShot()
    return await withCheckedContinuation { continuation in
        gate.arm(continuation)
        Task {
            await first.value
            gate.fire(true)
        }
        Task {
            await second.value
            gate.fire(false)
        }
    }
}

/// A continuation resumed by whoever fires first; later fires do nothing.
private final class OneShot: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func arm(_ value: CheckedContinuation<Bool, Never>) {
        continuation.withLock { $0 = value }
    }

    func fire(_ value: Bool) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
