internal import Foundation
internal import IngestCore
internal import IngestRunner
internal import IngestStore
internal import LMDBKit
internal import Logging

/// Runner scaling where the phases' work is the cost, not the store: a host job (the
/// library's plugin path) whose first phase burns a fixed amount of CPU per item, like an
/// in-process model would, and whose second phase only records receipts. Full sync, group
/// commits as in `ingest run`. Compared with the built-in pipeline, whose hashing embedder
/// is so cheap that the single LMDB writer thread sets the pace.
enum ScalingBench {
    struct Row: Codable {
        var workers: Int
        var items: Int
        var seconds: Double
        var itemsPerSecond: Double
        var coresUsed: Double
        /// CPU microseconds of work per item, measured alone on one thread.
        var workMicrosecondsPerItem: Double
    }

    /// Mixing rounds per item: about a millisecond of one core here.
    static let rounds = 400_000

    /// The work itself: `rounds` of a 64-bit multiply-xorshift mix (no allocation, no
    /// memory traffic), so all a second worker can add is a second core.
    static func work(_ seed: UInt64) -> UInt64 {
        var state = seed | 1
        for _ in 0..<rounds {
            state ^= state >> 29
            state &*= 0xBF58_476D_1CE4_E5B9
            state ^= state >> 32
        }
        return state
    }

    struct Numbers: ItemSource {
        let count: UInt64
        func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem] {
            let first = checkpoint.map { key(from: $0) + 1 } ?? 0
            guard first < count else { return [] }
            return (first..<min(count, first + UInt64(limit))).map { WorkItem(key: keyBytes($0)) }
        }
    }

    struct Burn: PhaseWorker {
        func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
            items.map { .done(work(key(from: $0.key))) }
        }
        func outputBytes(_ output: UInt64) -> Int { 8 }
        func commit(_ digest: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
            [WorkItem(key: item.key, payload: keyBytes(digest))]
        }
    }

    struct Receipt: PhaseWorker {
        func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
            items.map { .done(key(from: $0.payload)) }
        }
        func commit(_ digest: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] { [] }
    }

    static func keyBytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func key(from bytes: [UInt8]) -> UInt64 { bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }

    static func run(items: Int, dataDir: String) async throws -> [Row] {
        let start = nowNS()
        var sink: UInt64 = 0
        for seed in 0..<50 { sink ^= work(UInt64(seed) &* 2 &+ 1) }
        let perItem = Double(nowNS() - start) / 1000 / 50
        if sink == 0 { log("scaling: the calibration digest is 0") }  // uses it, so the loop stays

        var rows: [Row] = []
        for workers in [1, 2] {
            let path = "\(dataDir)/scaling-store"
            removeTree(path)
            let store = try JobStore.open(at: path)
            let plan = try Plan(phases: [PhaseSpec(name: "burn", weight: 0.9), PhaseSpec(name: "receipt", weight: 0.1)])
            let id = try JobID(validating: "scaling")
            _ = try store.submit(id: id, source: "0..<\(items)", plan: plan, settings: [])
            let runner = Runner(
                store: store, configuration: RunnerConfiguration(workers: workers),
                factory: { _ in JobDefinition(source: Numbers(count: UInt64(items)), workers: [Burn(), Receipt()]) },
                logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            let cpu0 = processCPUSeconds(), begin = nowNS()
            let report = try await runner.run(stop: StopController())
            let wall = seconds(nowNS() - begin), cpu = processCPUSeconds() - cpu0
            if let error = report.error { throw error }
            guard try store.job(id)?.status == .completed else { throw BenchError("scaling job did not complete") }
            rows.append(Row(
                workers: workers, items: items, seconds: wall, itemsPerSecond: Double(items) / wall,
                coresUsed: cpu / wall, workMicrosecondsPerItem: perItem
            ))
            removeTree(path)
        }
        return rows
    }

    static func tableText(_ rows: [Row]) -> String {
        table(
            ["workers", "items", "work µs/item", "s", "items/s", "cores"],
            rows.map { [String($0.workers), String($0.items), fmt($0.workMicrosecondsPerItem, 0), fmt($0.seconds, 2), fmt($0.itemsPerSecond, 0), fmt($0.coresUsed, 2)] }
        )
    }
}
