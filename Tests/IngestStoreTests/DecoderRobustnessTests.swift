import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

/// Every decoder of the store's records, fed its own encodings and thousands of damaged
/// variants of them (seeded, so every run sees the same bytes): each variant decodes or is
/// refused with an error — a trap would end the test process — and what decodes is a value
/// the encoder writes. `tools/fuzz/run` searches the same decoders far longer.
@Suite("Store decoders never trap on damaged bytes")
struct DecoderRobustnessTests {
    static let at = Timestamp(millisecondsSince1970: 1_764_000_000_000)

    /// Asserts the property and that the mutations reached the error paths.
    private func expectRobust(_ report: DecoderReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.badSeeds.isEmpty, "valid encodings that do not round-trip: \(report.badSeeds)", sourceLocation: sourceLocation)
        #expect(report.unstable.isEmpty, "decoded values that do not survive encode → decode: \(report.unstable.prefix(3))", sourceLocation: sourceLocation)
        #expect(report.refused > 0, "no mutation was refused, so the test never reached an error path", sourceLocation: sourceLocation)
    }

    @Test("job records")
    func jobRecords() throws {
        var held = JobRecord(source: "/srv/ü", plan: .standard, createdAt: Self.at, settings: Array("{}".utf8))
        held.held = true
        held.attempts = 2
        held.nextJournalSequence = 9
        let plan = try Plan(equallyWeighted: ["a", "b", "c"])
        let records = [JobRecord(source: "/srv/docs", plan: .standard, createdAt: Self.at), held, JobRecord(source: "", plan: plan, createdAt: Self.at)]
        expectRobust(DecoderProperty.check(seeds: records.map { $0.encoded() }) { bytes in
            bytes.withUnsafeBytes { try? JobRecord(decoding: $0) }
        } encode: { $0.encoded() })
    }

    @Test("phase records")
    func phaseRecords() {
        let states = PhaseStatus.allCases.filter { $0 != .paused }.map {
            PhaseState(status: $0, processed: 4, total: 9, checkpoint: [1, 2], attempts: 1, lastError: "e", startedAt: Self.at)
        } + PauseReason.allCases.map { PhaseState(status: .paused, pauseReason: $0, updatedAt: Self.at) }
        expectRobust(DecoderProperty.check(seeds: states.map(PhaseRecord.encode)) { bytes in
            bytes.withUnsafeBytes { try? PhaseRecord.decode($0) }
        } encode: { PhaseRecord.encode($0) })
    }

    @Test("journal lines")
    func journalLines() {
        let events: [JournalEntry.Event] = [
            .submitted, .held, .released, .claimed(runner: "pid 7"),
            .transition(phase: 2, from: .running, to: .paused, reason: .budget, error: nil),
            .transition(phase: 1, from: .running, to: .failed, reason: nil, error: "boom"),
        ]
        expectRobust(DecoderProperty.check(seeds: events.map { JournalEntry.encode($0, at: Self.at) }) { bytes in
            bytes.withUnsafeBytes { try? JournalEntry(sequence: 3, decoding: $0) }
        } encode: { JournalEntry.encode($0.event, at: $0.time) })
    }

    @Test("leases")
    func leases() {
        let runners = [RunnerIdentity(bootID: "0f4c1d2e-5a6b", pid: 42, startTicks: 77), RunnerIdentity(bootID: "", pid: -1, startTicks: .max)]
        expectRobust(DecoderProperty.check(seeds: runners.map { $0.encoded(claimedAt: 0) }) { bytes in
            bytes.withUnsafeBytes { try? RunnerIdentity(decoding: $0) }
        } encode: { $0.encoded(claimedAt: 0) })
    }

    @Test("item receipts")
    func itemReceipts() {
        let seeds = [ItemReceipt.encode(failure: nil, at: Self.at), ItemReceipt.encode(failure: "not UTF-8 text", at: Self.at)]
        expectRobust(DecoderProperty.check(seeds: seeds) { bytes in
            bytes.withUnsafeBytes { try? ItemReceipt(phase: 1, itemKey: [7], decoding: $0) }
        } encode: { ItemReceipt.encode(failure: $0.failure, at: $0.time) })
    }

    @Test("run records, whose latency totals must stay countable")
    func runRecords() {
        var latency = LatencyBuckets()
        for seconds in [0.0004, 0.02, 0.02, 3, 30] { latency.record(seconds: seconds) }
        let runs = [
            RunRecord(startedAt: Self.at),
            RunRecord(startedAt: Self.at, durationMilliseconds: 5000, exitCode: 75, commitLatency: latency),
        ]
        let report = DecoderProperty.check(seeds: runs.map(RunRecordCoding.encode)) { bytes in
            bytes.withUnsafeBytes { try? RunRecordCoding.decode($0) }.map { run in
                _ = (run.commitLatency.count, run.commitLatency.sum)
                return run
            }
        } encode: { RunRecordCoding.encode($0) }
        expectRobust(report)
    }

    @Test("schema versions and key sequence numbers")
    func metaAndKeys() {
        #expect(SchemaCheck.version(from: [0, 0, 0, 1]) == 1)
        for bytes in ByteMutations.variants(of: [[0, 0, 0, 1], Keys.sequenceBytes(.max)], count: 500, seed: 11) {
            #expect((SchemaCheck.version(from: bytes) != nil) == (bytes.count == 4))
            let sequence = Keys.sequence(from: bytes)
            if bytes.count == 8 { #expect(Keys.sequenceBytes(sequence) == bytes) }
        }
    }

    // MARK: Inputs the fuzzers found

    /// `fuzz-run-record`: two buckets of 2^64 − 1 commits each made `LatencyBuckets.count`
    /// overflow and trap (in `ingest metrics`); the record is now refused as damaged.
    @Test("a run record whose bucket counts add up past 2^64 is refused, not trapped on")
    func runRecordCountOverflow() {
        var bytes = RunRecordCoding.encode(RunRecord(startedAt: Self.at, commitLatency: LatencyBuckets(upperBounds: [1])))
        // version, start, duration flag+value, exit flag+value, bound count, one bound; then (count, sum) × 2.
        let firstCount = 1 + 8 + 1 + 8 + 1 + 4 + 4 + 8
        for offset in [firstCount, firstCount + 16] {
            bytes.replaceSubrange(offset..<(offset + 8), with: Keys.sequenceBytes(.max))
        }
        #expect(throws: RecordError.self) { try bytes.withUnsafeBytes { try RunRecordCoding.decode($0) } }
    }

    /// Damaged phase records of two jobs, each claiming 2^64 − 1 items, made
    /// `phaseTotals()` (and so `ingest metrics`) trap on the sum.
    @Test("phase totals saturate instead of trapping on damaged counts")
    func phaseTotalsSaturate() throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let first = try store.submit(source: "/a").id
                let second = try store.submit(source: "/b").id
                try store.write { batch in
                    for id in [first, second] {
                        let damaged = PhaseState(status: .running, processed: .max, itemsFailed: .max)
                        try batch.transaction.put(store.databases.phases, Keys.phase(id, ordinal: 0), PhaseRecord.encode(damaged))
                    }
                }
                let load = try #require(try store.phaseTotals().first { $0.phase == "load" })
                #expect(load.processed == .max && load.itemsFailed == .max)
            }
        }
    }
}
