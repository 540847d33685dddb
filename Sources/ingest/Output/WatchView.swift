import IngestCore
import IngestStore

/// What `ingest watch` shows of the committed state: for each job a status line, then one
/// line per phase as `ingest run` draws them. Rates come from how the committed counts grew
/// between polls, since the store keeps no rates of its own.
struct WatchView {
    private struct PhaseKey: Hashable {
        let job: JobID
        let ordinal: Int
    }

    private var meters: [PhaseKey: RateMeter] = [:]

    /// Records the counts of `jobs` as of `time` and renders them for a terminal `columns` wide.
    mutating func render(_ jobs: [JobSnapshot], at time: ContinuousClock.Instant, columns: Int) -> [String] {
        var headers: [String] = []
        var phaseLines: [[PhaseLine]] = []
        var seen = Set<PhaseKey>()
        for job in jobs {
            headers.append("\(job.id)  \(job.status) (\(job.activity))  \(Format.percent(job.progress))")
            var lines: [PhaseLine] = []
            for (ordinal, (spec, state)) in zip(job.record.plan.phases, job.phases).enumerated() {
                let key = PhaseKey(job: job.id, ordinal: ordinal)
                seen.insert(key)
                meters[key, default: RateMeter()].record(state.processed, at: time)
                let moving = job.activity == .active && state.status == .running
                lines.append(
                    PhaseLine(
                        job: job.id.rawValue, phase: spec.name, processed: state.processed, total: state.total,
                        rate: moving ? meters[key]?.rate : nil, note: Self.note(state, moving: moving)
                    )
                )
            }
            phaseLines.append(lines)
        }
        // Jobs no longer shown take their meters with them.
        meters = meters.filter { seen.contains($0.key) }
        guard !jobs.isEmpty else { return ["no unfinished jobs"] }
        // Aligned across all jobs at once, so the columns line up over the whole view.
        var aligned = PhaseLine.aligned(phaseLines.flatMap { $0 }, columns: columns)[...]
        var result: [String] = []
        for (header, lines) in zip(headers, phaseLines) {
            result.append(header)
            result += aligned.prefix(lines.count)
            aligned = aligned.dropFirst(lines.count)
        }
        return result
    }

    /// The phase's status where the line has no rate to show it is moving.
    private static func note(_ state: PhaseState, moving: Bool) -> String? {
        var parts: [String] = []
        switch state.status {
        case .running: if !moving { parts.append("running") }
        case .paused: parts.append("paused" + (state.pauseReason.map { " (\($0))" } ?? ""))
        case .failed: parts.append("failed" + (state.lastError.map { ": \($0)" } ?? ""))
        case .notStarted, .completed: parts.append(state.status.description)
        }
        if state.itemsFailed > 0 { parts.append("(\(state.itemsFailed) failed)") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}
