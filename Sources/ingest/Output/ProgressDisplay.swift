import Foundation
import IngestCore
import IngestRunner

/// Shows a run's progress: a live line redrawn in place on a terminal, or plain lines
/// every few seconds (and at every start, phase completion and end) for logs.
final class ProgressDisplay: @unchecked Sendable {
    private let mode: ProgressMode
    private let lock = NSLock()
    private var started: [JobID: ContinuousClock.Instant] = [:]
    private var lastLine: ContinuousClock.Instant?
    private var liveLineShown = false
    private let lineInterval: Duration = .seconds(2)
    private let liveInterval: Duration = .milliseconds(100)

    init(mode: ProgressMode) { self.mode = mode }

    func handle(_ event: RunEvent) {
        guard mode != .none else { return }
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .jobStarted(let id, let source):
            started[id] = .now
            emitLine("job \(id) started: \(source)")
        case .phaseCompleted(let id, let phase):
            emitLine("job \(id) phase \(phase) completed")
        case .progress(let id, let phases):
            let now = ContinuousClock.now
            let interval = mode == .live ? liveInterval : lineInterval
            if let last = lastLine, now - last < interval { return }
            lastLine = now
            let text = Self.describe(id, phases, elapsed: now - (started[id] ?? now))
            if mode == .live {
                write("\r\u{1B}[K" + text)
                liveLineShown = true
            } else {
                write("progress " + text + "\n")
            }
        case .jobFinished(let id, let outcome):
            emitLine("job \(id) \(Self.describe(outcome))")
        }
    }

    /// Ends a live line so that what follows starts on a fresh line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if liveLineShown {
            write("\r\u{1B}[K")
            liveLineShown = false
        }
    }

    private func emitLine(_ text: String) {
        if liveLineShown { write("\r\u{1B}[K") }
        liveLineShown = false
        write(text + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `job ID  load 120/120  chunk 80/120 35.1/s ETA 1s  embed …`
    static func describe(_ id: JobID, _ phases: [PhaseProgress], elapsed: Duration) -> String {
        let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        var parts = ["job \(id)"]
        for phase in phases {
            var part = "\(phase.name) \(phase.processed)/\(phase.total.map(String.init) ?? "?")"
            if phase.status == .running, phase.processedThisRun > 0 {
                let rate = Double(phase.processedThisRun) / seconds
                part += " \(Self.rate(rate))/s"
                if let total = phase.total, total > phase.processed, rate > 0 {
                    part += " ETA " + Self.duration(Double(total - phase.processed) / rate)
                }
            }
            if phase.itemsFailed > 0 { part += " (\(phase.itemsFailed) failed)" }
            parts.append(part)
        }
        return parts.joined(separator: "  ")
    }

    static func describe(_ outcome: JobOutcome) -> String {
        switch outcome {
        case .completed: "completed"
        case .failed(let phase, let error): "failed in \(phase): \(error)"
        case .paused(let reason): "paused (\(reason))"
        case .skipped(let why): "skipped: \(why)"
        }
    }

    private static func rate(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }

    private static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(whole % 60)s" }
        return "\(whole / 3600)h\(whole / 60 % 60)m"
    }
}

/// The few lines `ingest run` prints when it ends.
enum RunSummary {
    static func text(_ report: RunReport, stopReason: PauseReason?, failedItems: [JobID: UInt64] = [:]) -> String {
        if report.outcomes.isEmpty {
            guard report.workRemains else { return "nothing to do" }
            let why = stopReason.map { " (\($0))" } ?? ""
            return "stopped before starting\(why); work remains — run `ingest run` again later"
        }
        var lines = report.outcomes.map { id, outcome in
            let failed = failedItems[id].map { $0 == 1 ? "; 1 item failed" : "; \($0) items failed" } ?? ""
            return "\(id)  \(ProgressDisplay.describe(outcome))" + (failed.isEmpty ? "" : failed + " — `ingest status \(id)` lists them")
        }
        if report.workRemains {
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
