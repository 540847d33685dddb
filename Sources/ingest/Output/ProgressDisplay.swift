import Dispatch
import Foundation
import IngestCore
import IngestRunner

/// Shows a run's progress on standard error.
///
/// - `live`: a block at the bottom of the terminal with one line per running phase of each
///   running job (`JOB PHASE [####....]  done/total  rate/s  ETA`), redrawn in place at most
///   ten times a second; job starts, phase completions and job ends print above it for good.
/// - `lines`: for logs — `progress JOB PHASE done/total rate/s ETA …`, one phase per line,
///   at most every `lineInterval` (two seconds) per job, plus the same start, completion and end lines.
///
/// The runner calls `handle` from its commit path; the display only records the event and
/// draws on its own queue, so a slow or stopped terminal never holds up a commit.
final class ProgressDisplay: @unchecked Sendable {
    private let mode: ProgressMode
    private let queue = DispatchQueue(label: "ingest.progress")
    private let liveInterval: Duration = .milliseconds(100)
    private let lineInterval: Duration

    // Touched only on `queue` (hence @unchecked Sendable).
    private var block: LiveBlock
    private var jobs: [JobID: RunningJob] = [:]
    /// Running jobs in the order they started, for a stable order of lines.
    private var order: [JobID] = []
    private var lastDraw: ContinuousClock.Instant?
    private var drawScheduled = false
    private var finished = false

    private struct RunningJob {
        var phases: [PhaseProgress] = []
        /// Phases reported completed since the last progress event: off the block at once.
        var completed: Set<String> = []
        var meters: [String: RateMeter] = [:]
        var lastLines: ContinuousClock.Instant?
    }

    init(mode: ProgressMode, lineInterval: Duration = .seconds(2)) {
        self.mode = mode.resolved
        self.lineInterval = lineInterval
        block = LiveBlock(output: .standardError, descriptor: STDERR_FILENO)
        if self.mode == .live {
            // Log and error lines go above the block, in order with the events around them, and
            // are on the screen when the write returns (the second-interrupt message is written
            // just before the process exits). Nothing on `queue` writes through StandardError, so
            // waiting for it here cannot deadlock.
            StandardError.redirect { text in
                self.queue.sync { self.say(String(text.dropLast(text.hasSuffix("\n") ? 1 : 0)), force: true) }
            }
        }
    }

    func handle(_ event: RunEvent) {
        guard mode != .none else { return }
        let now = ContinuousClock.now
        queue.async { self.apply(event, at: now) }
    }

    /// Erases the live block (after every event so far is shown), so that what the run
    /// prints next starts on a clean line.
    func finish() {
        StandardError.redirect(to: nil)
        queue.sync {
            finished = true
            if mode == .live { block.clear() }
        }
    }

    private func apply(_ event: RunEvent, at now: ContinuousClock.Instant) {
        guard !finished else { return }
        switch event {
        case .jobStarted(let id, let source):
            if jobs[id] == nil { order.append(id) }
            jobs[id] = RunningJob()
            say("job \(id) started: \(source)")
        case .phaseCompleted(let id, let phase):
            jobs[id]?.completed.insert(phase)
            say("job \(id) phase \(phase) completed")
        case .progress(let id, let phases):
            var job = jobs[id] ?? RunningJob()
            if jobs[id] == nil { order.append(id) }
            job.phases = phases
            job.completed = []
            for phase in phases { job.meters[phase.name, default: RateMeter()].record(phase.processed, at: now) }
            if mode == .lines, job.lastLines.map({ now - $0 >= lineInterval }) ?? true {
                job.lastLines = now
                for line in Self.lines(id, job) { write(line.plain + "\n") }
            }
            jobs[id] = job
            if mode == .live { redrawSoon(now) }
        case .jobFinished(let id, let outcome):
            jobs[id] = nil
            order.removeAll { $0 == id }
            say("job \(id) \(Self.describe(outcome))")
        }
    }

    /// Prints a line for good: above the live block, or as a log line. After `finish`, only
    /// text that must not be lost (`force`: a log or error line) is still written.
    private func say(_ line: String, force: Bool = false) {
        if finished {
            if force { write(line + "\n") }
            return
        }
        switch mode {
        case .live:
            block.printAbove(line, then: liveLines())
            lastDraw = .now
        case .lines: write(line + "\n")
        case .auto, .none: break
        }
    }

    /// Redraws now, or — when the last redraw was less than `liveInterval` ago — once that
    /// interval is over, so the block changes at most ten times a second yet always ends
    /// showing the latest state.
    private func redrawSoon(_ now: ContinuousClock.Instant) {
        if let lastDraw, now - lastDraw < liveInterval {
            guard !drawScheduled else { return }
            drawScheduled = true
            let wait = liveInterval - (now - lastDraw)
            queue.asyncAfter(deadline: .now() + .nanoseconds(Int(wait.seconds * 1e9))) {
                self.drawScheduled = false
                self.redrawSoon(.now)
            }
            return
        }
        guard !finished else { return }
        lastDraw = now
        block.redraw(liveLines())
    }

    /// The block as it stands: every running phase of every running job.
    private func liveLines() -> [String] {
        let lines = order.flatMap { id in jobs[id].map { Self.lines(id, $0) } ?? [] }
        return PhaseLine.aligned(lines, columns: TerminalSize.of(STDERR_FILENO).columns)
    }

    /// The job's running phases as progress lines.
    private static func lines(_ id: JobID, _ job: RunningJob) -> [PhaseLine] {
        job.phases.filter { $0.status == .running && !job.completed.contains($0.name) }.map { phase in
            PhaseLine(
                job: id.rawValue, phase: phase.name, processed: phase.processed, total: phase.total,
                rate: job.meters[phase.name]?.rate, note: phase.itemsFailed > 0 ? "(\(phase.itemsFailed) failed)" : nil
            )
        }
    }

    /// Writes to standard error itself: the display is where `StandardError` sends text while
    /// the block is up, so going through it would come back here.
    private func write(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    static func describe(_ outcome: JobOutcome) -> String {
        switch outcome {
        case .completed: "completed"
        case .failed(let phase, let error): "failed in \(phase): \(error)"
        case .paused(let reason): "paused (\(reason))"
        case .skipped(let why): "skipped: \(why)"
        }
    }
}

/// The few lines `ingest run` prints when it ends.
enum RunSummary {
    static func text(_ report: RunReport, stopReason: PauseReason?, failedItems: [JobID: UInt64] = [:]) -> String {
        // Jobs passed over because another runner holds a job over their source.
        let waiting = report.waitingForSource.map { wait in
            "\(wait.job)  waits: another runner holds job \(wait.heldJob), over the same source — run `ingest run` again later"
        }
        if report.outcomes.isEmpty {
            guard waiting.isEmpty else { return waiting.joined(separator: "\n") }
            guard report.workRemains else { return "nothing to do" }
            let why = stopReason.map { " (\($0))" } ?? ""
            return "stopped before starting\(why); work remains — run `ingest run` again later"
        }
        var lines = report.outcomes.map { id, outcome in
            let failed = failedItems[id].map { $0 == 1 ? "; 1 item failed" : "; \($0) items failed" } ?? ""
            return "\(id)  \(ProgressDisplay.describe(outcome))" + (failed.isEmpty ? "" : failed + " — `ingest status \(id)` lists them")
        }
        lines += waiting
        if report.workRemains && waiting.isEmpty {
            let why = stopReason.map { " (\($0))" } ?? ""
            lines.append("stopped\(why); work remains — run `ingest run` again to continue")
        }
        let diskFull = stopReason == .diskFull || report.outcomes.contains { $0.1 == .paused(.diskFull) }
        if diskFull {
            lines.append("the store's disk is full (or below --min-free-disk): free some space, or remove old jobs, then run again")
        }
        return lines.joined(separator: "\n")
    }
}
