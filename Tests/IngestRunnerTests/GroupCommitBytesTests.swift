import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import Synchronization
import Testing

/// `RunnerConfiguration.groupCommitBytes`: a group commit starts once its outputs reach the
/// bytes bound, however many items the item bound would still allow.
@Suite struct GroupCommitBytesTests {
    /// The fetch phase with outputs of a declared size; records each group it commits.
    struct SizedFetch: PhaseWorker {
        let bytesPerOutput: Int
        let groups = GroupLog()

        func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
            items.map { .done(number($0.key) * number($0.key)) }
        }

        func outputBytes(_ output: UInt64) -> Int { bytesPerOutput }

        func commit(_ square: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
            [WorkItem(key: item.key, payload: bytes(square))]
        }

        func commitGroup(_ done: [(output: UInt64, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
            groups.record(done.count)
            return try done.map { try commit($0.output, for: $0.item, job: job, into: batch) }
        }
    }

    /// Runs 1…300 with an item bound no group reaches; returns the fetch phase's group sizes.
    private func groupSizes(
        bytesPerOutput: Int, bound: Int = 10 * 1000, interval: Duration = .seconds(1)
    ) async throws -> [Int] {
        let fetch = SizedFetch(bytesPerOutput: bytesPerOutput)
        try await runToCompletion(fetch, n: 300, bytesBound: bound, interval: interval)
        return fetch.groups.sizes
    }

    @Test("outputs of 1,000 bytes under a 10,000-byte bound commit in groups of about ten")
    func groupsStopAtTheBytesBound() async throws {
        let sizes = try await groupSizes(bytesPerOutput: 1000)
        #expect(sizes.reduce(0, +) == 300)
        // Ten reach the bound; a backlog that finished while a commit was written is taken
        // ten at a time as well.
        #expect(sizes.allSatisfy { $0 <= 10 }, "groups: \(sizes)")
        #expect(sizes.count >= 30, "groups: \(sizes)")
    }

    @Test("a backlog is committed in transactions no larger than the bound, though the interval never fires", .timeLimit(.minutes(TestTime.minutes(1))))
    func backlogIsNotLeftForTheInterval() async throws {
        // An interval far beyond the time limit: what commits must be the item, byte and end triggers.
        let sizes = try await groupSizes(bytesPerOutput: 1000, bound: 25 * 1000, interval: .seconds(3600))
        #expect(sizes.reduce(0, +) == 300)
        #expect(sizes.allSatisfy { $0 <= 25 }, "groups: \(sizes)")
    }

    @Test("negative control: outputs of unknown size are grouped by the item bound and the interval only")
    func unknownSizesDoNotSplit() async throws {
        let sizes = try await groupSizes(bytesPerOutput: 0)
        #expect(sizes.reduce(0, +) == 300)
        #expect((sizes.max() ?? 0) > 10, "groups: \(sizes)")
    }
}

/// The sizes of the groups a worker committed, in order.
final class GroupLog: Sendable {
    private let log = Mutex<[Int]>([])

    func record(_ size: Int) { log.withLock { $0.append(size) } }

    var sizes: [Int] { log.withLock { $0 } }
}
