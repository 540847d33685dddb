public import IngestCore
internal import Synchronization

/// Asks a run to stop, and tells its parts that it should.
///
/// The first request wins: a budget that runs out after SIGTERM does not change the
/// reason. Thread-safe; signal handlers, timers and the committer all call `requestStop`.
public final class StopController: Sendable {
    private struct State {
        var reason: PauseReason?
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// A controller no stop was requested from yet.
    public init() {}

    /// Requests a stop; the phases will pause with `reason`.
    public func requestStop(_ reason: PauseReason) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.reason == nil else { return [] }
            state.reason = reason
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The reason of the first stop request, or `nil` while none was made.
    public var reason: PauseReason? { state.withLock { $0.reason } }

    /// Whether a stop was requested.
    public var isStopRequested: Bool { reason != nil }

    /// Returns once a stop was requested, or when the calling task is cancelled.
    public func waitForStop() async {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.reason != nil || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
