// The host of the getting-started article (Sources/IngestRunner/IngestRunner.docc/
// GettingStarted.md): a word count of text files, in two phases of its own, on IngestStore
// + IngestRunner. GettingStartedExampleTests runs it; DocSnippetTests checks that every
// Swift block of the articles appears here (or in the store's example) verbatim, so the
// articles show only code that compiles and runs.

import CoreMetrics
import Foundation
import IngestCore
import IngestRunner
import IngestStore
import LMDBKit
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Numbers as big-endian bytes, so that LMDB's byte order is their numeric order.
extension UInt64 {
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }

    init(bigEndianBytes bytes: some Collection<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// What went wrong in the word-count host, said so that a person can act on it.
struct WordCountError: Error, CustomStringConvertible {
    let description: String
}

/// The word-count plan: "measure" counts the words of each line, "total" adds them up.
/// A weight is the phase's share of the job's progress; the weights sum to 1.
func wordCountPlan() throws -> Plan {
    try Plan(phases: [
        PhaseSpec(name: "measure", weight: 0.8),
        PhaseSpec(name: "total", weight: 0.2),
    ])
}

/// The first phase's input: the lines of the file the job names, keyed by line number.
///
/// The runner asks for the items after the key of the last committed one, so the source
/// must list the same items in the same key order on every run.
struct LinesOfFile: ItemSource {
    func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem] {
        guard let contents = FileManager.default.contents(atPath: job.source) else {
            throw WordCountError(description: "cannot read \(job.source); restore the file, or delete the job")
        }
        let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let first = checkpoint.map { Int(UInt64(bigEndianBytes: $0)) + 1 } ?? 0
        guard first < lines.count else { return [] }  // an empty page: the source is exhausted
        return (first..<min(lines.count, first + limit)).map { number in
            WorkItem(key: UInt64(number).bigEndianBytes, payload: Array(lines[number]))
        }
    }
}

/// Phase "measure": counts each line's words. `process` runs on many tasks at once and
/// outside any transaction, so it is the place for slow work; it writes nothing. `commit`
/// hands each count on to "total".
struct MeasureLines: PhaseWorker {
    /// Lines handed to `process` at once.
    var batchSize: Int { 64 }

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
        items.map { item in
            guard let line = String(validating: item.payload, as: UTF8.self) else {
                // A bad item is recorded with its reason and skipped; the phase goes on.
                return .failed(reason: "line \(UInt64(bigEndianBytes: item.key) + 1) is not UTF-8")
            }
            return .done(UInt64(line.split(whereSeparator: \.isWhitespace).count))
        }
    }

    func commit(_ words: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        // The runner puts these on "total"'s durable queue, in this same transaction.
        [WorkItem(key: item.key, payload: words.bigEndianBytes)]
    }
}

/// The host's own databases. They live in the store's LMDB environment: that is what lets
/// the workers' writes share the runner's transactions.
struct WordCountDatabases: Sendable {
    /// Job id → words counted so far.
    let running: Database
    /// Job id → the file's word count, once the job completed.
    let results: Database

    init(in store: JobStore) throws {
        guard let running = try store.environment.openDatabase(named: "wordcount_running", create: true),
            let results = try store.environment.openDatabase(named: "wordcount_results", create: true)
        else { throw WordCountError(description: "cannot create the word-count databases; open the store read-write") }
        self.running = running
        self.results = results
    }
}

/// Phase "total": adds the counts into the host's own database. The read-modify-write runs
/// inside the group commit that also writes the items' receipts and takes them off the
/// queue, so after a crash a count is either added and receipted, or neither.
struct AddUpWords: PhaseWorker {
    let databases: WordCountDatabases

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
        items.map { .done(UInt64(bigEndianBytes: $0.payload)) }
    }

    /// One read-modify-write for the whole group rather than one per line.
    func commitGroup(_ done: [(output: UInt64, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
        let key = job.id.bytes
        let total = try batch.transaction.get(databases.running, key).map { UInt64(bigEndianBytes: $0) } ?? 0
        let sum = done.reduce(total) { $0 + $1.output }
        try batch.transaction.put(databases.running, key, sum.bigEndianBytes)
        return done.map { _ in [] }  // the last phase hands nothing on
    }

    func commit(_ words: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        try commitGroup([(words, item)], job: job, into: batch)[0]
    }

    /// Moves the count to `results` in the transaction that completes the phase: a reader
    /// sees the result exactly when it sees the job completed.
    func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws {
        let key = job.id.bytes
        let total = try batch.transaction.get(databases.running, key) ?? UInt64(0).bigEndianBytes
        try batch.transaction.put(databases.results, key, total)
        try batch.transaction.delete(databases.running, key)
    }
}

/// Builds each claimed job's source and workers from the job as it was stored. A throw
/// fails the job's current phase with the error's description.
func wordCountFactory(_ databases: WordCountDatabases) -> JobFactory {
    { job in
        guard job.plan == (try wordCountPlan()) else {
            throw WordCountError(description: "job \(job.id) was not submitted as a word count")
        }
        return JobDefinition(source: LinesOfFile(), workers: [MeasureLines(), AddUpWords(databases: databases)])
    }
}

/// Submits a word count of `file`. The id names the job, so submitting the same file under
/// the same name again finds the job already there instead of making a second one.
func submitWordCount(of file: String, named name: String, to store: JobStore) throws -> JobID {
    let (id, _) = try store.submit(id: try JobID(validating: name), source: file, plan: try wordCountPlan())
    return id
}

/// The runner as a swift-service-lifecycle service. A graceful shutdown (SIGTERM, SIGINT,
/// or another service ending the group) asks the run to stop: every running phase commits
/// what it finished, pauses with reason `shutdown` and releases its job, and the next run
/// goes on from there.
final class IngestService: Service {
    private let runner: Runner
    private let lastReport = Mutex<RunReport?>(nil)

    init(runner: Runner) {
        self.runner = runner
    }

    /// What the run did; `nil` until it returned.
    var report: RunReport? { lastReport.withLock { $0 } }

    func run() async throws {
        let stop = StopController()
        let report = try await withGracefulShutdownHandler {
            try await runner.run(stop: stop)
        } onGracefulShutdown: {
            stop.requestStop(.shutdown)
        }
        lastReport.withLock { $0 = report }
        if let error = report.error { throw error }
    }
}

/// Turns the run's events into log lines. They arrive on the runner's commit path, so a
/// handler must be quick: log, update a gauge, hand them to a progress bar.
func logRunEvent(_ event: RunEvent, logger: Logger) {
    switch event {
    case .jobStarted(let id, let source):
        logger.info("job started", metadata: ["job": "\(id)", "source": "\(source)"])
    case .progress(let id, let phases):
        for phase in phases {
            logger.debug(
                "progress",
                metadata: ["job": "\(id)", "phase": "\(phase.name)", "processed": "\(phase.processed)", "failed": "\(phase.itemsFailed)"]
            )
        }
    case .phaseCompleted(let id, let phase):
        logger.info("phase completed", metadata: ["job": "\(id)", "phase": "\(phase)"])
    case .jobFinished(let id, let outcome):
        logger.notice("job finished", metadata: ["job": "\(id)", "outcome": "\(outcome)"])
    }
}

/// Runs every runnable word count in `store` inside a service group that turns
/// `shutdownSignals` into a graceful stop, and returns what the run did.
func runWordCounts(in store: JobStore, shutdownSignals: [UnixSignal], logger: Logger) async throws -> RunReport? {
    let runner = Runner(
        store: store,
        configuration: RunnerConfiguration(workers: 4, groupCommitItems: 512, shutdownGrace: .seconds(10)),
        factory: wordCountFactory(try WordCountDatabases(in: store)),
        logger: logger,
        events: { event in logRunEvent(event, logger: logger) }
    )
    let service = IngestService(runner: runner)
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: shutdownSignals,
            logger: logger
        )
    )
    try await group.run()
    return service.report
}

/// The job as a person would check it: its derived status, what is happening to it, and
/// each phase's state.
func describeJob(_ id: JobID, in store: JobStore) throws -> String {
    guard let job = try store.job(id) else { return "no job \(id)" }
    var lines = ["\(id): \(job.status), \(job.activity), \(Int(job.progress * 100))%"]
    for (spec, phase) in zip(job.record.plan.phases, job.phases) {
        let reason = phase.pauseReason.map { " (\($0))" } ?? ""
        lines.append("  \(spec.name): \(phase.status)\(reason), \(phase.processed) processed, \(phase.itemsFailed) failed")
    }
    return lines.joined(separator: "\n")
}

/// The word count of a completed job, or `nil` while it has none.
func wordCount(of id: JobID, in store: JobStore) throws -> UInt64? {
    let databases = try WordCountDatabases(in: store)
    return try store.read { txn in try txn.get(databases.results, id.bytes).map { UInt64(bigEndianBytes: $0) } }
}

/// The host's entry point: count the words of `file` as job `name`, stopping gracefully on
/// SIGTERM or SIGINT. Running it again after a stop, a crash or a power cut resumes the job.
/// - Returns: An exit status: 0 done, 1 the job failed, 75 stopped early (run again).
func wordCountMain(storePath: String, file: String, name: String) async throws -> Int32 {
    let logger = Logger(label: "wordcount")
    let store = try JobStore.open(at: storePath, logger: logger)
    let id = try submitWordCount(of: file, named: name, to: store)
    guard let report = try await runWordCounts(in: store, shutdownSignals: [.sigterm, .sigint], logger: logger) else {
        return 70
    }
    print(try describeJob(id, in: store))
    if let words = try wordCount(of: id, in: store) { print("\(file): \(words) words") }
    if report.failed { return 1 }
    return report.workRemains ? 75 : 0
}

/// Bootstraps swift-metrics with a Prometheus registry, once per process and before the
/// first run. The runner then times every group commit as `ingest_commit_duration_seconds`;
/// `registry.emitToString()` gives the text a scraper reads.
func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.durationHistogramBuckets[RunnerMetrics.commitDurationLabel] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2),
    ]
    MetricsSystem.bootstrap(factory)
    return registry
}
