import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import ServiceLifecycle
import UnixSignals

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch the progress of jobs live, beside a running `ingest run`.",
        discussion: """
            Shows every unfinished job (or only ID): a status line per job and a line per phase with \
            done/total, rate and ETA, redrawn every --interval on a terminal. Off a terminal, or with \
            --once, prints one snapshot and exits. Only reads the store, so any user who can read it may \
            watch. With an ID it exits once the job finishes: 0 completed, 1 failed; Ctrl-C or SIGTERM \
            exits 0. Other exit codes: see `ingest --help`.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("The job to watch; omit it for every unfinished job.", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("How often to read the store again (200ms, 1s).", valueName: "duration"))
    var interval: String = "500ms"

    @Flag(help: "Print one snapshot and exit, even on a terminal.")
    var once = false

    func validate() throws {
        if let id {
            do { _ = try JobID(validating: id) } catch { throw ValidationError(error.description) }
        }
        guard let every = DurationParser.parse(interval) else {
            throw ValidationError("--interval \"\(interval)\" is not a duration; write e.g. 500ms or 2s")
        }
        guard every >= .milliseconds(50) else { throw ValidationError("--interval must be at least 50ms") }
    }

    func run() async throws {
        let store = try reportingErrors { try storeOptions.openForReading() }
        let loop = WatchLoop(
            store: store, job: try id.map { try JobID(validating: $0) },
            interval: DurationParser.parse(interval) ?? .milliseconds(500),
            live: !once && TerminalSize.isLiveTerminal(STDOUT_FILENO)
        )
        guard loop.live else {
            try reportingErrors { try loop.showOnce() }
            try loop.exitStatus()
            return
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: WatchService(loop: loop),
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    )
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: CLILogging.logger
            )
        )
        try await reportingErrors { try await group.run() }
        try loop.exitStatus()
    }
}

/// Reads the store every interval and redraws the view, until the watched job finishes or
/// the task is cancelled (SIGINT or SIGTERM, through the service group).
///
/// Each poll reads in a transaction of its own that ends before the poll returns: a
/// reader left open between polls would pin the pages of its snapshot, so the runner
/// writing beside it could not reuse them and the store file would keep growing.
final class WatchLoop: @unchecked Sendable {
    let live: Bool
    private let store: JobStore
    private let job: JobID?
    private let interval: Duration

    // Touched only by the one task that runs the loop (hence @unchecked Sendable).
    private var view = WatchView()
    private var block = LiveBlock(output: .standardOutput, descriptor: STDOUT_FILENO)
    /// Jobs seen unfinished, kept on screen with their final status for `keepFinished`
    /// after they finish (the value: when they were first seen finished).
    private var seen: [JobID: ContinuousClock.Instant?] = [:]
    private let keepFinished: Duration = .seconds(30)
    /// The watched job's status once it is completed or failed.
    private var final: JobStatus?

    init(store: JobStore, job: JobID?, interval: Duration, live: Bool) {
        self.store = store
        self.job = job
        self.interval = interval
        self.live = live
    }

    /// Redraws every interval until the watched job finishes or the task is cancelled.
    func run() async throws {
        while true {
            let jobs = try read()
            block.redraw(view.render(jobs, at: .now, columns: TerminalSize.of(STDOUT_FILENO).columns))
            if final != nil { break }
            do { try await Task.sleep(for: interval) } catch { break }
        }
        // The last frame stays on the screen; the shell prompt comes below it.
        block.leave()
    }

    /// Prints one snapshot as plain lines.
    func showOnce() throws {
        let lines = view.render(try read(), at: .now, columns: TerminalSize.of(STDOUT_FILENO).columns)
        try? FileHandle.standardOutput.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// 0, or 1 when the watched job ended failed.
    func exitStatus() throws {
        if final == .failed { throw ExitStatus.jobFailed }
    }

    /// One poll. It reads on the calling task: an LMDB read transaction never waits for a
    /// writer (readers see the last committed snapshot), so it is short, bounded work.
    private func read() throws -> [JobSnapshot] {
        if let job {
            guard let snapshot = try store.job(job) else { throw StoreError.jobNotFound(job) }
            if snapshot.status.isTerminal { final = snapshot.status }
            return [snapshot]
        }
        let now = ContinuousClock.now
        let jobs = try store.unfinishedJobs(including: Set(seen.keys))
        for job in jobs {
            let finishedAt = job.status.isTerminal ? (seen[job.id].flatMap { $0 } ?? now) : nil
            seen[job.id] = .some(finishedAt)
        }
        let stale = seen.filter { _, finishedAt in finishedAt.map { now - $0 > keepFinished } ?? false }
        for id in stale.keys { seen[id] = nil }
        return jobs.filter { seen[$0.id] != nil }
    }
}

/// The watch loop as a swift-service-lifecycle `Service`: SIGINT and SIGTERM end it cleanly.
struct WatchService: Service {
    let loop: WatchLoop

    func run() async throws {
        let loop = loop
        try await cancelWhenGracefulShutdown { try await loop.run() }
    }
}
