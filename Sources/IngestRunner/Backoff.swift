internal import IngestCore

/// Exponential backoff with jitter: the k-th retry waits a random time between half of and
/// all of base × 2^k (capped at 30 s), so runners failing together do not retry in step.
struct Backoff {
    let base: Duration
    let cap: Duration = .seconds(30)

    /// The wait before retry number `retry`. The jitter comes from the standard library's
    /// system generator, not from a `SystemRandomNumberGenerator` passed `inout` through
    /// this (instrumented) code: see `JobID.generate(at:)` for why.
    func delay(forRetry retry: Int) -> Duration {
        let ceiling = min(cap, base * (1 << min(retry, 16)))
        let nanoseconds = ceiling.wholeNanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: (nanoseconds / 2)...nanoseconds))
    }
}
