import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

/// The durable queues between phases and the item receipts.
struct QueueStoreTests {
    private func withJob(_ body: (JobStore, JobID) throws -> Void) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try JobID(validating: "queued")
                _ = try store.submit(id: id, source: "/src")
                try body(store, id)
            }
        }
    }

    @Test func entriesComeBackInOrderAfterASequence() throws {
        try withJob { store, id in
            let sequences = try store.write { batch in
                try (0..<5).map { try batch.enqueue(id, phase: 1, payload: [UInt8($0)]) }
            }
            #expect(sequences == [0, 1, 2, 3, 4])
            #expect(try store.queuePage(id, phase: 1, after: nil, limit: 10).map(\.payload) == [[0], [1], [2], [3], [4]])
            #expect(try store.queuePage(id, phase: 1, after: 2, limit: 10).map(\.sequence) == [3, 4])
            #expect(try store.queuePage(id, phase: 1, after: nil, limit: 2).map(\.sequence) == [0, 1])
            #expect(try store.queueLength(id, phase: 1) == 5)
            // Another phase's queue is separate.
            #expect(try store.queuePage(id, phase: 2, after: nil, limit: 10).isEmpty)
        }
    }

    /// A consumer remembers the last sequence it fetched; if numbers were reused after the
    /// queue ran empty, it would skip the new entries.
    @Test func sequencesAreNeverReusedAfterTheQueueRunsEmpty() throws {
        try withJob { store, id in
            try store.write { batch in
                for value in 0..<3 { try batch.enqueue(id, phase: 1, payload: [UInt8(value)]) }
            }
            try store.write { batch in
                for sequence in 0..<3 { try batch.dequeue(id, phase: 1, sequence: UInt64(sequence)) }
            }
            #expect(try store.queueLength(id, phase: 1) == 0)
            let next = try store.write { batch in try batch.enqueue(id, phase: 1, payload: [9]) }
            #expect(next == 3)
            #expect(try store.queuePage(id, phase: 1, after: 2, limit: 10).map(\.payload) == [[9]])
        }
    }

    @Test func failedReceiptsCarryTheirReasons() throws {
        try withJob { store, id in
            try store.write { batch in
                try batch.putReceipt(id, phase: 0, itemKey: Array("a.txt".utf8), failure: nil)
                try batch.putReceipt(id, phase: 0, itemKey: Array("b.bin".utf8), failure: "binary file")
                try batch.putReceipt(id, phase: 2, itemKey: [1, 2], failure: "wrong dimension")
            }
            let failed = try store.failedItems(id)
            #expect(failed.map(\.phase) == [0, 2])
            #expect(failed.map(\.failure) == ["binary file", "wrong dimension"])
            #expect(try store.hasReceipt(id, phase: 0, itemKey: Array("a.txt".utf8)))
            #expect(try !store.hasReceipt(id, phase: 1, itemKey: Array("a.txt".utf8)))
            // A key longer than LMDB allows is shortened with a hash, still one receipt per key.
            let long = [UInt8](repeating: 0x61, count: 2000)
            try store.write { batch in try batch.putReceipt(id, phase: 1, itemKey: long, failure: "too long") }
            #expect(try store.hasReceipt(id, phase: 1, itemKey: long))
            #expect(try !store.hasReceipt(id, phase: 1, itemKey: long.dropLast() + [0x62]))
        }
    }
}
