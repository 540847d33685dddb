internal import Foundation
internal import IngestCore
internal import IngestPipeline
internal import IngestRunner
internal import IngestStore
internal import LMDBKit
internal import Logging

#if canImport(Glibc)
internal import Glibc
#endif

/// Wraps a phase worker and notes when its first batch arrives: the first resumed item.
struct FirstItemProbe<Inner: PhaseWorker>: PhaseWorker {
    typealias Output = Inner.Output
    let inner: Inner
    let mark: @Sendable () -> Void

    var batchSize: Int { inner.batchSize }

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Inner.Output>] {
        mark()
        return try await inner.process(items, job: job)
    }

    func commit(_ output: Inner.Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        try inner.commit(output, for: item, job: job, into: batch)
    }

    func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws {
        try inner.phaseWillComplete(job: job, into: batch)
    }
}

func probing(_ worker: some PhaseWorker, mark: @escaping @Sendable () -> Void) -> any PhaseWorker {
    FirstItemProbe(inner: worker, mark: mark)
}

struct ResumeRow: Codable {
    var completedJobs: Int
    var interruptedJobs: Int
    var how: String
    var trials: Int
    /// In-process only: to the store and the pipeline's databases being open.
    var medianToOpenMilliseconds: Double?
    /// Process start (or store open, in-process) to the runner's claim of the first job ("job … started").
    var medianToClaimMilliseconds: Double
    /// To the first item reaching a worker (in-process), or to the first resumed job's end (CLI).
    var medianToFirstItemMilliseconds: Double
    var minToFirstItemMilliseconds: Double
    var allToFirstItemMilliseconds: [Double]
    var what: String
}

struct IndexScanRow: Codable {
    var completedJobs: Int
    var interruptedJobs: Int
    var activeIDsMedianMicroseconds: Double
    var allIDsMedianMicroseconds: Double
}

enum ResumeBench {
    static let noLogs = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A tiny source that every interrupted job reads: three small text files.
    static func makeSource(_ path: String) throws {
        try makeDirectory(path)
        for index in 0..<3 {
            let text = String(repeating: "Resumable ingestion keeps its place across power cuts. ", count: 30 + index * 5)
            try text.write(toFile: "\(path)/note-\(index).txt", atomically: false, encoding: .utf8)
        }
    }

    /// `ingest run` as a whole process: from spawn to the "job … started" line (the first
    /// interrupted job claimed and its phases restarted, one durable commit), and to that
    /// job's "completed" line (its three files through all four phases). Then SIGTERM.
    static func cliTrial(ingest: String, store: String) throws -> (claim: Double, firstJobDone: Double) {
        let child = try ChildProcess([
            ingest, "run", "--store", store, "--workers", "1", "--commit-items", "1", "--commit-interval", "1ms",
            "--progress", "lines",
        ])
        var claim: UInt64?
        var done: UInt64?
        child.readStderrLines { line, at in
            if claim == nil, line.hasPrefix("job "), line.contains(" started: ") { claim = at }
            if claim != nil, line.hasPrefix("job "), line.hasSuffix(" completed"), !line.contains(" phase ") {
                done = at
                return false
            }
            return true
        }
        child.signal(SIGTERM)
        let result = child.finish()
        guard let claim, let done else {
            throw BenchError("ingest run printed no start/completion (exit \(result.exit.status)): \(result.stderr.suffix(400))")
        }
        return (Double(claim) / 1e6, Double(done) / 1e6)
    }

    /// In-process: open the store, start a Runner with the built-in pipeline whose load
    /// worker notes its first item, stop as soon as it has one.
    static func inProcessTrial(store path: String) async throws -> (opened: Double, claim: Double, firstItem: Double) {
        let start = nowNS()
        var opened: UInt64 = 0
        let firstItem = Locked<UInt64?>(nil)
        let claimed = Locked<UInt64?>(nil)
        let stop = StopController()
        let report: RunReport
        do {
            let store = try JobStore.open(at: path)
            let pipelineStore = try PipelineStore(store)
            opened = nowNS()
            let base = Pipeline.factory(pipelineStore, logger: noLogs)
            let factory: JobFactory = { job in
                let definition = try base(job)
                var workers = definition.workers
                workers[0] = probing(workers[0]) {
                    let now = nowNS()
                    let first = firstItem.withLock { value -> Bool in
                        if value == nil { value = now; return true }
                        return false
                    }
                    if first { stop.requestStop(.shutdown) }
                }
                return JobDefinition(source: definition.source, workers: workers)
            }
            let runner = Runner(
                store: store, configuration: RunnerConfiguration(workers: 1, groupCommitItems: 1, groupCommitInterval: .milliseconds(1)),
                factory: factory, logger: noLogs,
                events: { event in
                    if case .jobStarted = event {
                        let now = nowNS()
                        claimed.withLock { if $0 == nil { $0 = now } }
                    }
                }
            )
            report = try await runner.run(stop: stop)
        }
        if let error = report.error { throw error }
        guard let first = firstItem.value, let claim = claimed.value else { throw BenchError("no item was resumed") }
        return (Double(opened - start) / 1e6, Double(claim - start) / 1e6, Double(first - start) / 1e6)
    }

    static func indexScan(store path: String, completed: Int, interrupted: Int) throws -> IndexScanRow {
        let store = try JobStore.open(at: path, mode: .readOnly)
        var active: [Double] = [], all: [Double] = []
        for _ in 0..<15 {
            var begin = nowNS()
            let ids = try store.read { txn in try store.jobIDs(status: .running, in: txn) + store.jobIDs(status: .pending, in: txn) }
            active.append(Double(nowNS() - begin) / 1e3)
            guard ids.count >= interrupted - 50 else { throw BenchError("expected about \(interrupted) active jobs, found \(ids.count)") }
            begin = nowNS()
            _ = try store.read { txn in try store.jobIDs(status: nil, in: txn) }
            all.append(Double(nowNS() - begin) / 1e3)
        }
        return IndexScanRow(
            completedJobs: completed, interruptedJobs: interrupted,
            activeIDsMedianMicroseconds: median(active), allIDsMedianMicroseconds: median(all)
        )
    }

    static func run(completedSizes: [Int], interrupted: Int, dataDir: String, ingest: String, trials: Int) async throws -> (rows: [ResumeRow], scans: [IndexScanRow]) {
        let source = "\(dataDir)/resume-source"
        try makeSource(source)
        var stores: [Int: String] = [:]
        var scans: [IndexScanRow] = []
        for completed in completedSizes {
            let path = "\(dataDir)/resume-\(completed)"
            removeTree(path)
            let fillSeconds = try StoreFill.fill(at: path, completed: completed, interrupted: interrupted, interruptedSource: source)
            log("resume: filled \(completed) + \(interrupted) jobs in \(fmt(fillSeconds, 2)) s")
            stores[completed] = path
            scans.append(try indexScan(store: path, completed: completed, interrupted: interrupted))
        }
        var cli: [Int: [(claim: Double, firstJobDone: Double)]] = [:]
        var inProcess: [Int: [(opened: Double, claim: Double, firstItem: Double)]] = [:]
        // Interleave the store sizes so that background load hits both alike.
        for _ in 0..<trials {
            for completed in completedSizes {
                cli[completed, default: []].append(try cliTrial(ingest: ingest, store: stores[completed]!))
                inProcess[completed, default: []].append(try await inProcessTrial(store: stores[completed]!))
            }
        }
        var rows: [ResumeRow] = []
        for completed in completedSizes {
            let c = cli[completed] ?? [], p = inProcess[completed] ?? []
            rows.append(ResumeRow(
                completedJobs: completed, interruptedJobs: interrupted, how: "cli `ingest run` (process start →)",
                trials: c.count, medianToClaimMilliseconds: median(c.map(\.claim)),
                medianToFirstItemMilliseconds: median(c.map(\.firstJobDone)), minToFirstItemMilliseconds: c.map(\.firstJobDone).min() ?? .nan,
                allToFirstItemMilliseconds: c.map(\.firstJobDone),
                what: "claim = 'job … started' line; first item ≤ the first resumed job's 'completed' line (3 files, 4 phases, commit-items 1)"
            ))
            rows.append(ResumeRow(
                completedJobs: completed, interruptedJobs: interrupted, how: "in-process Runner (store open →)",
                trials: p.count, medianToOpenMilliseconds: median(p.map(\.opened)), medianToClaimMilliseconds: median(p.map(\.claim)),
                medianToFirstItemMilliseconds: median(p.map(\.firstItem)), minToFirstItemMilliseconds: p.map(\.firstItem).min() ?? .nan,
                allToFirstItemMilliseconds: p.map(\.firstItem),
                what: "first item = the load worker's first batch"
            ))
        }
        return (rows, scans)
    }
}
