import IngestCore
import IngestPipeline
import IngestStore
import Prometheus

/// The Prometheus text exposition of a store, shared by `ingest metrics` and
/// `ingest run --metrics-file`, so both print the same families with the same meaning.
///
/// Everything but the commit latencies is read from the store at the moment of writing, so
/// the figures are what is committed — never what a runner merely holds in memory.
enum MetricsExposition {
    /// - Parameters:
    ///   - run: The run the figures describe: the one in progress, or the store's last recorded one.
    ///   - elapsedMilliseconds: For a run without a recorded duration, how long it has gone on.
    static func text(store: JobStore, run: RunRecord?, elapsedMilliseconds: UInt64?) throws -> String {
        let registry = PrometheusCollectorRegistry()

        let counts = try store.countsByStatus()
        for status in JobStatus.allCases {
            registry.makeGauge(descriptor: Names.jobs, labels: [("status", status.description)])
                .set(Double(counts[status] ?? 0))
        }
        for totals in try store.phaseTotals() {
            registry.makeGauge(descriptor: Names.itemsDone, labels: [("phase", totals.phase)]).set(Double(totals.processed))
            registry.makeGauge(descriptor: Names.itemsFailed, labels: [("phase", totals.phase)])
                .set(Double(totals.itemsFailed))
        }
        let documentBytes = PipelineStore.exists(in: store) ? try PipelineStore(store).totals().documentBytes : 0
        registry.makeGauge(descriptor: Names.documentBytes, labels: []).set(Double(documentBytes))

        let histogram = registry.makeValueHistogram(
            descriptor: Names.commitDuration, labels: [], buckets: run?.commitLatency.upperBounds ?? LatencyBuckets.commitBounds
        )
        if let run {
            run.commitLatency.replayed { histogram.record($0) }
            registry.makeGauge(descriptor: Names.runStart, labels: []).set(Double(run.startedAt.millisecondsSince1970) / 1000)
            let finished = run.durationMilliseconds != nil
            if let elapsed = run.durationMilliseconds ?? elapsedMilliseconds {
                registry.makeGauge(descriptor: Names.runDuration, labels: []).set(Double(elapsed) / 1000)
            }
            registry.makeGauge(descriptor: Names.runFinished, labels: []).set(finished ? 1.0 : 0.0)
            if let code = run.exitCode {
                registry.makeGauge(descriptor: Names.runExitCode, labels: []).set(Double(code))
            }
        }
        return registry.emitToString()
    }

    /// Names and help texts, in one place: the registry refuses one name with two helps.
    /// (Computed: the descriptor type is not `Sendable`, so it cannot be a stored static.)
    enum Names {
        static var jobs: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_jobs", unitName: "", helpText: "Jobs in the store by derived status."
            )
        }
        static var itemsDone: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_phase_items_done", unitName: "",
                helpText: "Items committed as done, summed over every job's phase of that name."
            )
        }
        static var itemsFailed: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_phase_items_failed", unitName: "",
                helpText: "Items that failed, summed over every job's phase of that name."
            )
        }
        static var documentBytes: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_document", unitName: "bytes", helpText: "Bytes of source text the index holds."
            )
        }
        static var commitDuration: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_commit_duration", unitName: "seconds",
                helpText: "Group commit latency (one synced write transaction) of the last run."
            )
        }
        static var runStart: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_last_run_start_timestamp", unitName: "seconds",
                helpText: "When the last ingest run started (Unix time by the box's clock)."
            )
        }
        static var runDuration: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_last_run_duration", unitName: "seconds",
                helpText: "How long the last ingest run took, or has taken so far."
            )
        }
        static var runFinished: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_last_run_finished", unitName: "",
                helpText: "1 when the last ingest run ended by itself, 0 while it runs or when it was killed."
            )
        }
        static var runExitCode: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ingest_last_run_exit_code", unitName: "",
                helpText: "The exit code of the last ingest run that ended by itself."
            )
        }
    }
}
