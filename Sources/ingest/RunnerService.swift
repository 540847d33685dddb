import IngestCore
import IngestRunner
import ServiceLifecycle
import Synchronization

/// The runner as a swift-service-lifecycle `Service`: SIGTERM and SIGINT become a graceful
/// stop (every phase commits and pauses with reason `shutdown`), and the group ends when
/// the runner returns.
final class RunnerService: Service, Sendable {
    private let runner: Runner
    private let stop: StopController
    private let result = Mutex<RunReport?>(nil)

    init(runner: Runner, stop: StopController) {
        self.runner = runner
        self.stop = stop
    }

    var report: RunReport? { result.withLock { $0 } }

    func run() async throws {
        let stop = stop
        let report = try await withGracefulShutdownHandler {
            try await runner.run(stop: stop)
        } onGracefulShutdown: {
            stop.requestStop(.shutdown)
        }
        result.withLock { $0 = report }
    }
}
