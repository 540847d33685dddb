import CoreMetrics
import Foundation
import IngestCore
import IngestStore
import Logging

/// The metrics side of one `ingest run`: it records the run in the store (at the start, and
/// with its duration, exit code and commit latencies at the end) and, with `--metrics-file`,
/// keeps that file up to date while the run goes on.
final class RunMetrics: Sendable {
    private let store: JobStore
    private let file: MetricsFile?
    private let interval: Duration
    private let logger: Logger
    private let collector = CommitLatencyCollector()
    private let started: Timestamp
    private let startedInstant = ContinuousClock.now

    init(store: JobStore, filePath: String?, interval: Duration, logger: Logger) {
        self.store = store
        file = filePath.map(MetricsFile.init(path:))
        self.interval = interval
        self.logger = logger
        started = JobStore.wallClock()
        // A process bootstraps swift-metrics once; `ingest run` is the only command that does.
        MetricsSystem.bootstrap(collector)
    }

    private var current: RunRecord { RunRecord(startedAt: started, commitLatency: collector.snapshot) }

    /// Records the start in the store and writes the first file.
    /// - Throws: `CLIError` when the metrics file cannot be written at all (a wrong path is
    ///   better refused before any work than found in a log later). A store that cannot take
    ///   the record is only logged: metrics must never stop ingestion.
    func start() throws {
        do { try store.recordRun(current) } catch {
            logger.warning("cannot record the run in the store", metadata: ["error": "\(error)"])
        }
        if let file { try file.write(try exposition(current)) }
    }

    /// Rewrites the metrics file every `interval` until cancelled.
    func keepFileFresh() async {
        guard file != nil else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            writeFile(current)
        }
    }

    /// Records how the run ended, in the store and in the file.
    func finish(exitCode: Int32) {
        var run = current
        run.durationMilliseconds = elapsedMilliseconds
        run.exitCode = exitCode
        do { try store.recordRun(run) } catch {
            logger.warning("cannot record the run's end in the store", metadata: ["error": "\(error)"])
        }
        writeFile(run)
    }

    /// Time since the start by the monotonic clock: a box without a real-time clock may set
    /// its wall clock mid-run.
    private var elapsedMilliseconds: UInt64 {
        (ContinuousClock.now - startedInstant).wholeMilliseconds
    }

    private func exposition(_ run: RunRecord) throws -> String {
        try MetricsExposition.text(store: store, run: run, elapsedMilliseconds: elapsedMilliseconds)
    }

    private func writeFile(_ run: RunRecord) {
        guard let file else { return }
        do {
            try file.write(try exposition(run))
        } catch {
            logger.warning("cannot write the metrics file", metadata: ["path": "\(file.path)", "error": "\(error)"])
        }
    }
}
