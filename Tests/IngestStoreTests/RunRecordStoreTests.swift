import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

@Suite("Run records and latency buckets")
struct RunRecordStoreTests {
    @Test("replaying buckets gives every observation its own bucket, the same count and the same sum")
    func replayIsExact() {
        var buckets = LatencyBuckets()
        var generator = SystemRandomNumberGenerator()
        var observations: [Double] = []
        for _ in 0..<2000 {
            let seconds = Double.random(in: 0.0001...20, using: &generator) * Double.random(in: 0...1, using: &generator)
            observations.append(seconds)
            buckets.record(seconds: seconds)
        }
        var replayed = LatencyBuckets()
        var values: [Double] = []
        buckets.replayed { values.append($0); replayed.record(seconds: $0) }
        #expect(values.count == observations.count)
        #expect(replayed.counts == buckets.counts, "a replayed value fell into another bucket")
        #expect(abs(values.reduce(0, +) - observations.reduce(0, +)) < 1e-6)
        #expect(buckets.count == 2000)
    }

    @Test("a run record survives a reopen: started, then ended with code and latencies")
    func persists() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            try StoreFixture.withStore(at: path) { store in
                #expect(try store.lastRun() == nil, "a new store has no run")
                try store.recordRun(RunRecord(startedAt: Timestamp(millisecondsSince1970: 5000)))
            }
            let started = try StoreFixture.withStore(at: path, mode: .readOnly) { try $0.lastRun() }
            #expect(started?.startedAt.millisecondsSince1970 == 5000)
            #expect(started?.durationMilliseconds == nil && started?.exitCode == nil, "a started run has no end")

            var latency = LatencyBuckets()
            for seconds in [0.0005, 0.003, 0.003, 12.0] { latency.record(seconds: seconds) }
            let ended = RunRecord(
                startedAt: Timestamp(millisecondsSince1970: 5000), durationMilliseconds: 1234, exitCode: 75, commitLatency: latency
            )
            try StoreFixture.withStore(at: path) { try $0.recordRun(ended) }
            #expect(try StoreFixture.withStore(at: path, mode: .readOnly) { try $0.lastRun() } == ended)
        }
    }

    @Test("a damaged run record is refused with its key, never trapped on")
    func damaged() throws {
        var latency = LatencyBuckets()
        latency.record(seconds: 0.01)
        let valid = RunRecordCoding.encode(RunRecord(startedAt: Timestamp(millisecondsSince1970: 1), commitLatency: latency))
        for length in 0..<valid.count {
            #expect(throws: RecordError.self) {
                try Array(valid.prefix(length)).withUnsafeBytes { try RunRecordCoding.decode($0) }
            }
        }
        var hugeBucketCount = valid
        hugeBucketCount.replaceSubrange(23..<27, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: RecordError.self) { try hugeBucketCount.withUnsafeBytes { try RunRecordCoding.decode($0) } }
        #expect(throws: RecordError.self) { try (valid + [0]).withUnsafeBytes { try RunRecordCoding.decode($0) } }
    }
}
