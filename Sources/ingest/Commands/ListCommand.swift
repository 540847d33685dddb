import ArgumentParser
import IngestCore
import IngestStore

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List jobs, one line each.",
        discussion: """
            With --status only jobs whose derived status matches; read from the status index, not a full scan. \
            Exits 66 when the store does not exist.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Only jobs with this status: pending, running, completed or failed.", valueName: "status"))
    var status: String?

    @Flag(help: "Print JSON: an array of the objects `ingest status ID --json` prints.")
    var json = false

    func validate() throws {
        if let status, JobStatus(name: status) == nil {
            throw ValidationError("unknown status \"\(status)\"; use one of pending, running, completed, failed")
        }
    }

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForReading()
            let filter = status.flatMap(JobStatus.init(name:))
            if json {
                // Streamed: one job at a time from one snapshot, written as it is read.
                var out = JSONStreamWriter()
                out.raw("[")
                var first = true
                try store.forEachJob(status: filter) { job in
                    if !first { out.raw(",") }
                    first = false
                    JobJSON(job).write(to: &out)
                }
                out.raw("]\n")
                out.flush()
                return
            }
            let jobs = try store.jobs(status: filter)
            if !jobs.isEmpty { print(JobText.list(jobs)) }
        }
    }
}
