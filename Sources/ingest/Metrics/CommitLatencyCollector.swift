import CoreMetrics
import IngestRunner
import IngestStore
import Synchronization

/// A swift-metrics backend that keeps only the runner's commit timer, as `LatencyBuckets`:
/// what the run's metrics file shows and what the run leaves in the store for `ingest metrics`.
final class CommitLatencyCollector: MetricsFactory, Sendable {
    private let buckets = Mutex(LatencyBuckets())

    var snapshot: LatencyBuckets { buckets.withLock { $0 } }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard label == RunnerMetrics.commitDurationLabel else { return NOOPMetricsHandler.instance }
        return Handler(collector: self)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { NOOPMetricsHandler.instance }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: TimerHandler, Sendable {
        let collector: CommitLatencyCollector

        init(collector: CommitLatencyCollector) { self.collector = collector }

        func recordNanoseconds(_ duration: Int64) {
            collector.buckets.withLock { $0.record(seconds: Double(duration) / 1e9) }
        }
    }
}
