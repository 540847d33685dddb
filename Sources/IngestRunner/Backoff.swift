internal import IngestCore

/// Exponential backoff with jitter: the k-th retry waits a random time between half of and
/// all of base × 2^k (capped at 30 s), so runners failing together do not retry in step.
struct Backoff {
    let base: Duration
    let cap: Duration = .seconds(30)

    func delay<G: RandomNumberGenerator>(forRetry retry: Int, using generator: inout G) -> Duration {
        let ceiling = min(cap, base * (1 << min(retry, 16)))
        let nanoseconds = ceiling.wholeNanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: (nanoseconds / 2)...nanoseconds, using: &generator))
    }
}
