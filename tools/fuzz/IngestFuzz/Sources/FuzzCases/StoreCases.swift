internal import IngestCore
@testable internal import IngestStore

/// The records of the job store (`Sources/IngestStore`). Each check decodes, and for what
/// decodes, asserts that its encoding decodes to the same encoding again.
extension FuzzCase {
    public static let jobRecord = FuzzCase("job-record") { bytes in
        guard let record = try? JobRecord(decoding: bytes) else { return }
        _ = (record.createdAt.iso8601, record.updatedAt.iso8601)
        let encoded = record.encoded()
        let again = encoded.withUnsafeBytes { try? JobRecord(decoding: $0) }
        expect(again?.encoded() == encoded, "a decoded job record does not survive encode → decode")
    } seeds: {
        StoreSeeds.jobRecords.map { $0.encoded() }
    }

    public static let phaseRecord = FuzzCase("phase-record") { bytes in
        guard let state = try? PhaseRecord.decode(bytes) else { return }
        let encoded = PhaseRecord.encode(state)
        let again = encoded.withUnsafeBytes { try? PhaseRecord.decode($0) }
        expect(again.map(PhaseRecord.encode) == encoded, "a decoded phase record does not survive encode → decode")
    } seeds: {
        StoreSeeds.phaseStates.map(PhaseRecord.encode)
    }

    public static let journalEntry = FuzzCase("journal-entry") { bytes in
        guard let entry = try? JournalEntry(sequence: 7, decoding: bytes) else { return }
        _ = entry.time.iso8601
        let encoded = JournalEntry.encode(entry.event, at: entry.time)
        let again = encoded.withUnsafeBytes { try? JournalEntry(sequence: 7, decoding: $0) }
        expect(again == entry, "a decoded journal line does not survive encode → decode")
    } seeds: {
        StoreSeeds.journalEvents.map { JournalEntry.encode($0, at: Timestamp(millisecondsSince1970: 1_764_000_000_000)) }
    }

    /// A stored lease, and the same bytes as the `/proc/PID/stat` line liveness checks read.
    public static let leaseRecord = FuzzCase("lease-record") { bytes in
        _ = RunnerIdentity.parseStartTicks(bytes.assumingMemoryBound(to: UInt8.self))
        guard let runner = try? RunnerIdentity(decoding: bytes) else { return }
        _ = runner.description
        let again = runner.encoded(claimedAt: 0).withUnsafeBytes { try? RunnerIdentity(decoding: $0) }
        expect(again == runner, "a decoded lease does not survive encode → decode")
    } seeds: {
        [
            RunnerIdentity(bootID: "0f4c1d2e-5a6b-4c7d-8e9f-a0b1c2d3e4f5", pid: 4242, startTicks: 123_456).encoded(claimedAt: 9),
            RunnerIdentity(bootID: "", pid: -1, startTicks: .max).encoded(claimedAt: .max),
            Array("4242 (ingest (run)) S 1 4242 4242 0 -1 4194560 2000 0 0 0 12 3 0 0 20 0 2 0 123456 1000000 500\n".utf8),
        ]
    }

    public static let itemReceipt = FuzzCase("item-receipt") { bytes in
        guard let receipt = try? ItemReceipt(phase: 2, itemKey: [0x61], decoding: bytes) else { return }
        let encoded = ItemReceipt.encode(failure: receipt.failure, at: receipt.time)
        let again = encoded.withUnsafeBytes { try? ItemReceipt(phase: 2, itemKey: [0x61], decoding: $0) }
        expect(again == receipt, "a decoded item receipt does not survive encode → decode")
    } seeds: {
        [
            ItemReceipt.encode(failure: nil, at: Timestamp(millisecondsSince1970: 5)),
            ItemReceipt.encode(failure: "the file is not UTF-8 text", at: Timestamp(millisecondsSince1970: .max)),
        ]
    }

    public static let runRecord = FuzzCase("run-record") { bytes in
        guard let run = try? RunRecordCoding.decode(bytes) else { return }
        _ = (run.commitLatency.count, run.commitLatency.sum, run.startedAt.iso8601)
        let encoded = RunRecordCoding.encode(run)
        let again = encoded.withUnsafeBytes { try? RunRecordCoding.decode($0) }
        expect(again.map(RunRecordCoding.encode) == encoded, "a decoded run record does not survive encode → decode")
    } seeds: {
        StoreSeeds.runRecords.map(RunRecordCoding.encode)
    }

    /// The `meta` schema version and the sequence numbers read back from keys.
    public static let storeMeta = FuzzCase("store-meta") { bytes in
        let array = Array(bytes)
        let version = SchemaCheck.version(from: array)
        expect((version != nil) == (array.count == 4), "a schema version of \(array.count) bytes was accepted or refused wrongly")
        let sequence = Keys.sequence(from: array)
        if array.count == 8 { expect(Keys.sequenceBytes(sequence) == array, "a key's sequence number does not round-trip") }
        _ = Keys.sequence(from: bytes, after: Int(array.first ?? 0) % 16)
    } seeds: {
        [[0, 0, 0, 1], Keys.sequenceBytes(42), Keys.sequenceBytes(.max)]
    }

    public static let store: [FuzzCase] = [
        jobRecord, phaseRecord, journalEntry, leaseRecord, itemReceipt, runRecord, storeMeta,
    ]
}
