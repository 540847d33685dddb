public import IngestCore

/// One `ingest run` of a store, kept for metrics: written when the run starts (no end yet)
/// and again when it ends, so a run that was killed is seen as one that never finished.
public struct RunRecord: Sendable, Equatable {
    /// When the run started, by the wall clock.
    public var startedAt: Timestamp
    /// How long the run took; `nil` while it runs, or forever when it was killed.
    public var durationMilliseconds: UInt64?
    /// The process's exit code; `nil` until the run ended normally.
    public var exitCode: Int32?
    /// Commit latencies of the run, by bucket.
    public var commitLatency: LatencyBuckets

    /// A run record; a run that just started has only its start time.
    public init(
        startedAt: Timestamp, durationMilliseconds: UInt64? = nil, exitCode: Int32? = nil,
        commitLatency: LatencyBuckets = LatencyBuckets()
    ) {
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.exitCode = exitCode
        self.commitLatency = commitLatency
    }
}

/// A histogram of durations, in seconds, with the sum of each bucket kept too, so the mean of
/// a bucket — which always lies inside it — can stand for its observations when the
/// histogram is replayed into a metrics backend (count and sum then come out exact).
public struct LatencyBuckets: Sendable, Equatable {
    /// Upper bounds of the buckets, ascending; the last bucket, past them, has no bound.
    public private(set) var upperBounds: [Double]
    /// Observations per bucket (`upperBounds.count + 1` of them).
    public private(set) var counts: [UInt64]
    /// The sum of the observations of each bucket, in seconds.
    public private(set) var sums: [Double]

    /// Commit latencies from 1 ms to 10 s: a commit syncs twice, so on an SD card the low
    /// milliseconds are typical and seconds mean trouble.
    public static let commitBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// An empty histogram with these bucket bounds.
    /// - Parameter upperBounds: Ascending upper bounds, in seconds.
    public init(upperBounds: [Double] = LatencyBuckets.commitBounds) {
        self.upperBounds = upperBounds
        counts = Array(repeating: 0, count: upperBounds.count + 1)
        sums = Array(repeating: 0, count: upperBounds.count + 1)
    }

    /// Adds one observation to the first bucket whose bound it does not exceed.
    public mutating func record(seconds: Double) {
        let bucket = upperBounds.firstIndex { seconds <= $0 } ?? upperBounds.count
        counts[bucket] += 1
        sums[bucket] += seconds
    }

    /// Observations in all buckets.
    public var count: UInt64 { counts.reduce(0, +) }
    /// The sum of all observations, in seconds.
    public var sum: Double { sums.reduce(0, +) }

    /// One value per observation that puts every observation in its own bucket and adds up
    /// to the recorded sum: each bucket's mean, repeated.
    public func replayed(_ body: (Double) -> Void) {
        for (bucket, count) in counts.enumerated() where count > 0 {
            let mean = sums[bucket] / Double(count)
            for _ in 0..<count { body(mean) }
        }
    }

    init(upperBounds: [Double], counts: [UInt64], sums: [Double]) {
        self.upperBounds = upperBounds
        self.counts = counts
        self.sums = sums
    }
}

/// The binary layout of a `RunRecord` under `meta`'s `last_run` key.
enum RunRecordCoding {
    static let version: UInt8 = 1
    /// More buckets than any histogram of ours: a bound on what a damaged record can make us allocate.
    static let maxBuckets = 64
    /// More commits than any run makes: a bound on what a damaged record can make us replay.
    static let maxCommits: UInt64 = 1 << 32

    static func encode(_ run: RunRecord) -> [UInt8] {
        var writer = ByteWriter(capacity: 40 + run.commitLatency.counts.count * 24)
        writer.write(version)
        writer.write(run.startedAt.millisecondsSince1970)
        writer.write(run.durationMilliseconds != nil)
        writer.write(run.durationMilliseconds ?? 0)
        writer.write(run.exitCode != nil)
        writer.write(UInt32(bitPattern: run.exitCode ?? 0))
        let latency = run.commitLatency
        writer.write(UInt32(latency.upperBounds.count))
        for bound in latency.upperBounds { writer.write(bound) }
        for (count, sum) in zip(latency.counts, latency.sums) {
            writer.write(count)
            writer.write(sum)
        }
        return writer.bytes
    }

    static func decode(_ buffer: UnsafeRawBufferPointer) throws(RecordError) -> RunRecord {
        var reader = ByteReader(buffer)
        let version = try reader.readByte()
        guard version == Self.version else { throw .unknownVersion(version) }
        let started = try reader.readUInt64()
        let hasDuration = try reader.readBool()
        let duration = try reader.readUInt64()
        let hasExitCode = try reader.readBool()
        let exitCode = Int32(bitPattern: try reader.readUInt32())
        let boundCount = Int(try reader.readUInt32())
        guard boundCount <= maxBuckets else { throw .badValue("\(boundCount) histogram buckets", at: reader.offset - 4) }
        var bounds: [Double] = []
        for _ in 0..<boundCount { bounds.append(try reader.readDouble()) }
        var counts: [UInt64] = []
        var sums: [Double] = []
        var total: UInt64 = 0
        for _ in 0...boundCount {
            let countOffset = reader.offset
            let count = try reader.readUInt64()
            // `LatencyBuckets.count` adds them up and `replayed` loops over them: a damaged
            // total must neither trap there nor keep `ingest metrics` busy for ages. No run
            // makes more than `maxCommits` commits (a thousand a second for 50 days).
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow, sum <= maxCommits else {
                throw .badValue("histogram counts that add up past \(maxCommits)", at: countOffset)
            }
            total = sum
            counts.append(count)
            sums.append(try reader.readDouble())
        }
        try reader.expectEnd()
        return RunRecord(
            startedAt: Timestamp(millisecondsSince1970: started), durationMilliseconds: hasDuration ? duration : nil,
            exitCode: hasExitCode ? exitCode : nil,
            commitLatency: LatencyBuckets(upperBounds: bounds, counts: counts, sums: sums)
        )
    }
}
