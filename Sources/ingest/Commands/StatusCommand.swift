import ArgumentParser
import IngestCore
import IngestStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show one job in detail, or a summary of all jobs.",
        discussion: "Exits 66 when the store or the job does not exist."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("The job's id; omit it for a summary of the store.", valueName: "id"))
    var id: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let id {
            do { _ = try JobID(validating: id) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForReading()
            if let id {
                let jobID = try JobID(validating: id)
                guard let job = try store.job(jobID) else { throw StoreError.jobNotFound(jobID) }
                let failures = try store.failedItems(jobID)
                if json {
                    try JSONOutput.print(JobJSON(job, failures: failures))
                } else {
                    print(JobText.detail(job))
                    if !failures.isEmpty { print("\n" + JobText.failures(failures, plan: job.record.plan, limit: 20)) }
                }
            } else {
                let jobs = try store.jobs()
                if json { try JSONOutput.print(SummaryJSON(store: store.path, jobs: jobs)) } else {
                    print(JobText.summary(store: store.path, jobs: jobs))
                }
            }
        }
    }
}

/// `ingest status --json` without an id.
struct SummaryJSON: Encodable {
    let store: String
    let jobs: Int
    let byStatus: [String: Int]
    let byActivity: [String: Int]

    init(store: String, jobs: [JobSnapshot]) {
        self.store = store
        self.jobs = jobs.count
        byStatus = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { status in
            (status.description, jobs.count { $0.status == status })
        })
        byActivity = Dictionary(uniqueKeysWithValues: Activity.allCases.map { activity in
            (activity.description, jobs.count { $0.activity == activity })
        })
    }
}
