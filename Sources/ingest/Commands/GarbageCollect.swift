import ArgumentParser
import IngestCore
import IngestStore

struct GarbageCollect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove finished (completed or failed) jobs and their records; pending, running and paused jobs are never touched.",
        discussion: """
            Combine the rules: `--older-than 30d --keep-last 10` removes jobs that finished over \
            30 days ago but always keeps the 10 newest. --older-than goes by the box's clock; \
            on a box without a real-time clock prefer --keep-last. The index is not touched. \
            LMDB reuses the freed pages; `ingest compact` gives the space back to the file system.             Exits 0, 64 for missing or bad rules, 66 when the store does not exist.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Only jobs that finished at least this long ago (90m, 12h, 30d).", valueName: "duration"))
    var olderThan: String?

    @Option(help: ArgumentHelp("Only jobs with this status: completed or failed (repeatable; default both).", valueName: "status"))
    var status: [String] = []

    @Option(help: ArgumentHelp("Always keep this many of the most recently finished jobs.", valueName: "n"))
    var keepLast: Int?

    @Flag(help: "Print what would be removed and remove nothing.")
    var dryRun = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard olderThan != nil || keepLast != nil || !status.isEmpty else {
            throw ValidationError("say what to remove: --older-than, --keep-last and/or --status")
        }
        if let olderThan, DurationParser.parse(olderThan) == nil {
            throw ValidationError("--older-than \"\(olderThan)\" is not a duration; write e.g. 12h or 30d")
        }
        for value in status where value != "completed" && value != "failed" {
            throw ValidationError("--status \"\(value)\": only completed or failed jobs can be removed")
        }
        if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be 0 or more") }
    }

    var rule: RetentionRule {
        let statuses = status.isEmpty ? [JobStatus.completed, .failed] : status.compactMap(JobStatus.init(name:))
        return RetentionRule(olderThan: olderThan.flatMap(DurationParser.parse), statuses: Set(statuses), keepLast: keepLast)
    }

    func run() throws {
        try reportingErrors {
            let store = try dryRun ? storeOptions.openForReading() : storeOptions.openForWriting(create: false)
            let selected = try store.jobsToRemove(rule, now: JobStore.wallClock())
            let removed = dryRun ? selected : try store.removeFinishedJobs(selected)
            if json {
                try JSONOutput.print(GarbageJSON(dryRun: dryRun, removed: removed.map(\.rawValue)))
            } else if dryRun {
                for id in removed { print(id) }
                print("would remove \(removed.count) finished job\(removed.count == 1 ? "" : "s")")
            } else {
                print("removed \(removed.count) finished job\(removed.count == 1 ? "" : "s")")
            }
        }
    }
}

private struct GarbageJSON: Encodable {
    let dryRun: Bool
    let removed: [String]
}
