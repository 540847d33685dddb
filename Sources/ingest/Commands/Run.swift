import ArgumentParser
import Foundation
import IngestCore
import IngestPipeline
import IngestRunner
import IngestStore
import Logging
import ServiceLifecycle
import UnixSignals

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run runnable jobs until none is left or the budget ends.",
        discussion: """
            Runs pending jobs, interrupted ones, and ones paused for any reason but the user's. \
            SIGTERM or SIGINT (or the end of --max-time) makes every running phase commit, pause \
            and release its job within --shutdown-grace; the run then exits 75 and the next run \
            continues from the last commit. A second SIGINT exits at once; the store stays consistent.
            Exits 0 when done or nothing is left to do, 1 when a job failed, 75 when work remains \
            (budget, signal, full disk). Every exit code: `ingest --help`.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Stop after this long (90s, 5m, 1h30m); exits 75 if work remains.", valueName: "duration"))
    var maxTime: String?

    @Option(help: "Items processed at once per phase.")
    var workers: Int = 2

    @Option(help: ArgumentHelp("Run only this job.", valueName: "id"))
    var job: String?

    @Option(help: ArgumentHelp("How long running items may take to finish after a stop request.", valueName: "duration"))
    var shutdownGrace: String = "5s"

    @Option(help: "A phase fails once more items than this failed in it.")
    var maxItemFailures: UInt64 = 1000

    @Option(help: "Write a group commit once this many items are ready.")
    var commitItems: Int = 256

    @Option(help: ArgumentHelp("…or once the oldest ready item has waited this long.", valueName: "duration"))
    var commitInterval: String = "200ms"

    @Option(help: ArgumentHelp("Pause with reason disk_full once the store's disk has less free space than this (500M, 2G).", valueName: "size"))
    var minFreeDisk: String?

    @Flag(help: "Pause with reason on_battery while the box runs on battery (reads /sys/class/power_supply).")
    var pauseOnBattery = false

    @Option(help: .hidden)
    var powerSupplyDirectory: String = "/sys/class/power_supply"

    @OptionGroup(title: "Job settings (stored with each job at submit; given to run, they only warn where a job differs)")
    var settingsOptions: SettingsOptions

    @Option(help: ArgumentHelp("Keep a Prometheus text file here for node_exporter's textfile collector (rewritten atomically).", valueName: "path"))
    var metricsFile: String?

    @Option(help: ArgumentHelp("How often --metrics-file is rewritten.", valueName: "duration"))
    var metricsInterval: String = "15s"

    @Option(help: ArgumentHelp("Progress on stderr: auto (live lines on a terminal, log lines otherwise), live, lines, none.", valueName: "mode"))
    var progress: ProgressMode = .auto

    @Option(help: ArgumentHelp("How often --progress lines prints each job's progress.", valueName: "duration"))
    var progressInterval: String = "2s"

    func validate() throws {
        if let maxTime, DurationParser.parse(maxTime) == nil {
            throw ValidationError("--max-time \"\(maxTime)\" is not a duration; write e.g. 90s, 5m or 1h30m")
        }
        for (name, value) in [
            ("--shutdown-grace", shutdownGrace), ("--commit-interval", commitInterval), ("--metrics-interval", metricsInterval),
            ("--progress-interval", progressInterval),
        ]
        where DurationParser.parse(value) == nil {
            throw ValidationError("\(name) \"\(value)\" is not a duration; write e.g. 500ms or 5s")
        }
        if let metricsFile, metricsFile.isEmpty { throw ValidationError("--metrics-file needs a path") }
        if let minFreeDisk, SizeParser.parse(minFreeDisk) == nil {
            throw ValidationError("--min-free-disk \"\(minFreeDisk)\" is not a size; write e.g. 500M or 2G")
        }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be between 1 and 256") }
        guard (1...100_000).contains(commitItems) else { throw ValidationError("--commit-items must be between 1 and 100000") }
        if let job {
            do { _ = try JobID(validating: job) } catch { throw ValidationError(error.description) }
        }
    }

    func run() async throws {
        let store = try reportingErrors { try storeOptions.openForWriting(create: true) }
        let pipelineStore = try reportingErrors { try PipelineStore(store) }
        let onlyJob = try job.map { try JobID(validating: $0) }
        if let onlyJob {
            _ = try reportingErrors { () -> JobSnapshot in
                guard let snapshot = try store.job(onlyJob) else { throw StoreError.jobNotFound(onlyJob) }
                return snapshot
            }
        }
        try warnAboutSettings(store, onlyJob: onlyJob)
        let metrics = RunMetrics(
            store: store, filePath: metricsFile, interval: DurationParser.parse(metricsInterval) ?? .seconds(15),
            logger: CLILogging.logger
        )
        try reportingErrors { try metrics.start() }
        let refresher = Task { await metrics.keepFileFresh() }
        defer { refresher.cancel() }
        do {
            try await runJobs(store: store, pipelineStore: pipelineStore, onlyJob: onlyJob)
            metrics.finish(exitCode: 0)
        } catch {
            metrics.finish(exitCode: (error as? ExitCode)?.rawValue ?? ExitStatus.code(for: error).rawValue)
            throw error
        }
    }

    /// A job runs with the settings it was submitted with, whatever flags a run is given:
    /// say so for each runnable job whose stored settings the given flags contradict.
    private func warnAboutSettings(_ store: JobStore, onlyJob: JobID?) throws {
        try reportingErrors {
            var jobs: [JobSnapshot] = []
            if let onlyJob {
                jobs = try store.job(onlyJob).map { [$0] } ?? []
            } else {
                for status in [JobStatus.pending, .running] { jobs += try store.jobs(status: status) }
            }
            for job in jobs {
                guard let stored = try? PipelineSettings(stored: job.record.settings) else { continue }
                let differences = settingsOptions.disagreements(with: stored)
                guard !differences.isEmpty else { continue }
                let text = differences.joined(separator: ", ")
                printError(
                    "ingest: warning: job \(job.id) keeps the settings it was submitted with, not \(text); "
                        + "submit a new job to use other settings"
                )
                CLILogging.logger.info("flags disagree with a job's stored settings", metadata: ["job": "\(job.id)", "flags": "\(text)"])
            }
        }
    }

    /// Runs the jobs to the end of the run and turns how it ended into the exit status.
    private func runJobs(store: JobStore, pipelineStore: PipelineStore, onlyJob: JobID?) async throws {
        let power = PowerSupply(root: powerSupplyDirectory)
        var batteryProbe: (@Sendable () -> Bool)?
        if pauseOnBattery { batteryProbe = { @Sendable in power.isOnBattery } }
        let configuration = RunnerConfiguration(
            workers: workers, groupCommitItems: commitItems,
            groupCommitInterval: DurationParser.parse(commitInterval) ?? .milliseconds(200),
            maxTime: maxTime.flatMap(DurationParser.parse), shutdownGrace: DurationParser.parse(shutdownGrace) ?? .seconds(5),
            maxItemFailures: maxItemFailures, onlyJob: onlyJob,
            minFreeDiskBytes: minFreeDisk.flatMap(SizeParser.parse),
            onBattery: batteryProbe,
            // Test-only fault injection for the crash test's negative control (tools/crashtest).
            fault: ProcessInfo.processInfo.environment["INGEST_FAULT"].flatMap(RunnerConfiguration.Fault.init(rawValue:))
        )
        let display = ProgressDisplay(mode: progress, lineInterval: DurationParser.parse(progressInterval) ?? .seconds(2))
        let logger = CLILogging.logger
        let runner = Runner(
            store: store, configuration: configuration, factory: Pipeline.factory(pipelineStore, logger: logger),
            logger: logger, events: { display.handle($0) }
        )
        let stop = StopController()
        let interrupts = SecondInterrupt.install()
        let service = RunnerService(runner: runner, stop: stop)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            display.finish()
            printError("ingest: error: \(error)")
            throw ExitStatus.code(for: error)
        }
        interrupts.cancel()
        display.finish()
        guard let report = service.report else { throw ExitStatus.internalError }
        if let error = report.error {
            printError("ingest: error: \(error)")
            // No room to even claim a job is the same situation as filling up mid-run.
            if (error as? StoreError)?.category == .noSpace { throw ExitStatus.workRemains }
            throw ExitStatus.code(for: error)
        }
        // Failed items do not stop a job; say how many, so a cron log shows them.
        var failedItems: [JobID: UInt64] = [:]
        for (id, _) in report.outcomes {
            if let snapshot = try? store.job(id), snapshot.itemsFailed > 0 { failedItems[id] = snapshot.itemsFailed }
        }
        print(RunSummary.text(report, stopReason: stop.reason, failedItems: failedItems))
        if report.failed { throw ExitStatus.jobFailed }
        if report.workRemains { throw ExitStatus.workRemains }
    }
}

/// How `ingest run` shows progress.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, live, lines, none

    var resolved: ProgressMode {
        guard self == .auto else { return self }
        return TerminalSize.isLiveTerminal(STDERR_FILENO) ? .live : .lines
    }
}
