// An example host: its own two-phase plan on IngestStore + IngestRunner, no pipeline.
//
//     swift run ingest-host-example STORE_DIR [N]
//
// "fetch" squares each of the numbers 1…N and hands the square on; "tally" adds it into
// the host's own LMDB database `totals`. Ctrl-C pauses; running the same command again
// resumes where the last group commit left off, and the total is still exactly
// 1² + … + N², because a square is added in the same transaction as its receipt.

import Dispatch
import IngestCore
import IngestRunner
import IngestStore
import LMDBKit
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Big-endian bytes, so LMDB's byte order is numeric order (the source pages by key).
func bytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
func number(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

/// The first phase's input: 1…N, with N read from the settings stored at submit, so every
/// run of the job — including a resumed one — sees the same N.
struct Numbers: ItemSource {
    func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem] {
        let last = UInt64(String(decoding: job.settings, as: UTF8.self)) ?? 0
        let first = checkpoint.map { number($0) + 1 } ?? 1
        guard first <= last else { return [] }  // an empty page: the source is exhausted
        return (first...min(last, first + UInt64(limit) - 1)).map { WorkItem(key: bytes($0)) }
    }
}

/// Phase 1. `process` runs concurrently and outside any transaction: the place for slow
/// work (a network fetch, say). It writes nothing itself; `commit` hands the square on.
struct Fetch: PhaseWorker {
    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
        try await Task.sleep(for: .milliseconds(1))  // stands in for real work, so Ctrl-C has time to land
        return items.map { .done(number($0.key) * number($0.key)) }
    }

    func commit(_ square: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        // The runner writes these to tally's durable queue in this same transaction.
        [WorkItem(key: item.key, payload: bytes(square))]
    }
}

/// Phase 2: adds each square into `totals[job id]`. The read-modify-write happens in
/// `commit`, inside the group commit that also writes the item's receipt and removes it
/// from the queue — so after a crash an item is either fully counted or redone, never twice.
struct Tally: PhaseWorker {
    let totals: Database

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
        items.map { .done(number($0.payload)) }
    }

    func commit(_ square: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        let key = job.id.bytes
        let total = try batch.transaction.get(totals, key).map(number) ?? 0
        try batch.transaction.put(totals, key, bytes(total + square))
        return []  // the last phase hands nothing on
    }
}

func printError(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}

func main() async -> Int32 {
    let arguments = CommandLine.arguments
    // N ≤ 2,000,000 keeps 1² + … + N² within UInt64.
    guard (2...3).contains(arguments.count), let n = UInt64(arguments.count == 3 ? arguments[2] : "10000"),
        (1...2_000_000).contains(n)
    else {
        printError("usage: ingest-host-example STORE_DIR [N]   (1 ≤ N ≤ 2000000, default 10000)")
        return 64
    }
    var logger = Logger(label: "host-example")
    logger.logLevel = .warning
    do {
        let store = try JobStore.open(at: arguments[1], logger: logger)
        // The host's own database, in the same environment as the job state: that is what
        // lets its writes share a transaction with the runner's receipts.
        guard let totals = try store.environment.openDatabase(named: "totals", create: true) else { return 70 }
        let plan = try Plan(phases: [PhaseSpec(name: "fetch", weight: 0.3), PhaseSpec(name: "tally", weight: 0.7)])
        // A fixed id makes the submit idempotent: running again finds the same job and resumes it.
        let id = try JobID(validating: "squares-\(n)")
        _ = try store.submit(id: id, source: "1...\(n)", plan: plan, settings: Array("\(n)".utf8))

        // Ctrl-C / SIGTERM ask for a graceful stop: in-flight items finish (or are dropped
        // after the grace period), the last group commits, the phases pause as `shutdown`.
        let stop = StopController()
        var signalSources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)  // let Dispatch see it instead of the default "terminate"
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.requestStop(.shutdown) }
            source.resume()
            signalSources.append(source)
        }
        defer { signalSources.forEach { $0.cancel() } }

        let runner = Runner(
            store: store, configuration: RunnerConfiguration(workers: 4, groupCommitItems: 256, onlyJob: id),
            factory: { _ in JobDefinition(source: Numbers(), workers: [Fetch(), Tally(totals: totals)]) },
            logger: logger,
            events: { event in
                if case .phaseCompleted(_, let phase) = event { print("phase \(phase) completed") }
            }
        )
        let report = try await runner.run(stop: stop)
        if let error = report.error { throw error }

        guard let job = try store.job(id) else { return 70 }
        let total = try store.environment.read { txn in try txn.get(totals, id.bytes).map(number) } ?? 0
        print("job \(id): \(job.status), \(job.activity)")
        for (spec, phase) in zip(job.record.plan.phases, job.phases) {
            let reason = phase.pauseReason.map { " (\($0))" } ?? ""
            print("  \(spec.name): \(phase.status)\(reason), \(phase.processed) processed")
        }
        print("total so far: \(total); 1² + … + \(n)² = \(n * (n + 1) * (2 * n + 1) / 6)")
        if report.failed { return 1 }
        return report.workRemains ? 75 : 0  // 75: paused, run the same command again to resume
    } catch {
        printError("ingest-host-example: error: \(error)")
        return 70
    }
}

exit(await main())
