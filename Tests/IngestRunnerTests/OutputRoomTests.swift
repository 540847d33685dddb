import Foundation
import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import Synchronization
import Testing

/// Finished outputs waiting for a commit stay bounded by bytes even inside a fetched page:
/// a fetcher hands its next batch to a worker only while they hold less than three times
/// `RunnerConfiguration.groupCommitBytes`, however many items the page still has.
@Suite struct OutputRoomTests {
    /// Outputs finished and not yet committed, as the worker itself counts them.
    final class Backlog: Sendable {
        private let counts = Mutex<(finished: Int, committed: Int, largest: Int)>((0, 0, 0))

        /// Notes how many outputs wait as a batch starts.
        func batchStarts() { counts.withLock { $0.largest = max($0.largest, $0.finished - $0.committed) } }
        func finished(_ count: Int) { counts.withLock { $0.finished += count } }
        func committed(_ count: Int) { counts.withLock { $0.committed += count } }

        /// The most outputs that waited when a batch started.
        var largest: Int { counts.withLock { $0.largest } }
    }

    /// The fetch phase with outputs of a declared size and a slow writer: each group commit
    /// takes two milliseconds more, so the workers outrun it.
    struct SlowlyCommitted: PhaseWorker {
        let bytesPerOutput: Int
        let backlog = Backlog()

        func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
            backlog.batchStarts()
            defer { backlog.finished(items.count) }
            return items.map { .done(number($0.key)) }
        }

        func outputBytes(_ output: UInt64) -> Int { bytesPerOutput }

        func commit(_ value: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
            [WorkItem(key: item.key, payload: bytes(value * value))]
        }

        func commitGroup(_ done: [(output: UInt64, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
            // Blocks the store's writer thread, as a large transaction would.
            Thread.sleep(forTimeInterval: 0.002)
            backlog.committed(done.count)
            return try done.map { try commit($0.output, for: $0.item, job: job, into: batch) }
        }
    }

    /// Runs 1…300 through the slowly committed phase with a 4,000-byte bound and an item
    /// bound no group reaches; returns the most outputs that waited as a batch started.
    private func largestBacklog(bytesPerOutput: Int) async throws -> Int {
        let fetch = SlowlyCommitted(bytesPerOutput: bytesPerOutput)
        try await runToCompletion(fetch, n: 300, bytesBound: 4000, interval: .milliseconds(50))
        return fetch.backlog.largest
    }

    @Test("outputs of 1,000 bytes under a 4,000-byte bound: at most about five groups' worth wait as a batch starts")
    func backlogStaysNearTheBound() async throws {
        let largest = try await largestBacklog(bytesPerOutput: 1000)
        // Less than 12 waiting for a commit (three times the bound), up to 4 more in the group
        // being written (the bound; its first item always goes), and the other worker's
        // batch finishing at the same moment.
        #expect(largest <= 18, "outputs waiting as a batch started: \(largest)")
    }

    @Test("negative control: outputs of unknown size are not held back, and the backlog grows past that")
    func unknownSizesAreNotHeldBack() async throws {
        let largest = try await largestBacklog(bytesPerOutput: 0)
        #expect(largest > 18, "outputs waiting as a batch started: \(largest)")
    }
}
