import ArgumentParser
import IngestCore
import IngestStore

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a job's journal: every transition, oldest first.",
        discussion: "Exits 66 when the store or the job does not exist."
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var job: JobArgument

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForReading()
            let jobID = try job.jobID
            guard let snapshot = try store.job(jobID) else { throw StoreError.jobNotFound(jobID) }
            let entries = try store.journal(jobID)
            let names = snapshot.record.plan.phases.map(\.name)
            if json {
                try JSONOutput.print(entries.map { HistoryJSON($0, phaseNames: names) })
            } else {
                print(JobText.history(entries, phaseNames: names))
            }
        }
    }
}

/// One journal line as JSON.
struct HistoryJSON: Encodable {
    let sequence: UInt64
    let time: String
    let event: String
    let phase: String?
    let from: String?
    let to: String?
    let reason: String?
    let error: String?
    let runner: String?

    init(_ entry: JournalEntry, phaseNames: [String]) {
        sequence = entry.sequence
        time = entry.time.iso8601
        var phase: String?, from: String?, to: String?, reason: String?, error: String?, runner: String?
        switch entry.event {
        case .submitted: event = "submitted"
        case .held: event = "paused_by_user"
        case .released: event = "resumed_by_user"
        case .claimed(let by):
            event = "claimed"
            runner = by
        case .transition(let ordinal, let fromStatus, let toStatus, let pauseReason, let message):
            event = "transition"
            phase = phaseNames.indices.contains(ordinal) ? phaseNames[ordinal] : "#\(ordinal)"
            from = fromStatus.description
            to = toStatus.description
            reason = pauseReason?.description
            error = message
        }
        (self.phase, self.from, self.to, self.reason, self.error, self.runner) = (phase, from, to, reason, error, runner)
    }

    // Every key is written, null when empty, as in `status --json`: scripts can rely on them.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(time, forKey: .time)
        try container.encode(event, forKey: .event)
        try container.encode(phase, forKey: .phase)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(reason, forKey: .reason)
        try container.encode(error, forKey: .error)
        try container.encode(runner, forKey: .runner)
    }

    enum CodingKeys: String, CodingKey {
        case sequence, time, event, phase, from, to, reason, error, runner
    }
}
