/// Items per second over the last few seconds, from samples of a growing count.
///
/// A windowed rate follows a phase that speeds up or stalls, where "items since the start
/// divided by time since the start" would lag behind, and it needs no knowledge of when a
/// phase began — which `ingest watch`, reading only committed state, does not have.
struct RateMeter {
    private struct Sample {
        let time: ContinuousClock.Instant
        let count: UInt64
    }

    /// How far back the rate looks.
    let window: Duration
    private var samples: [Sample] = []

    init(window: Duration = .seconds(10)) { self.window = window }

    /// Adds the count as of `time`. A count that went down (a retry started the phase over)
    /// starts the meter afresh.
    mutating func record(_ count: UInt64, at time: ContinuousClock.Instant) {
        if let last = samples.last, count < last.count { samples.removeAll() }
        samples.append(Sample(time: time, count: count))
        // Keep one sample at or before the window's start, so the rate spans the whole window.
        while samples.count > 2, time - samples[1].time >= window { samples.removeFirst() }
    }

    /// Items per second across the window; `nil` until two samples are apart in time.
    var rate: Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        let span = (last.time - first.time).seconds
        guard span > 0 else { return nil }
        return Double(last.count - first.count) / span
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
