import ArgumentParser
import IngestStore

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart a failed job's failed phases from their checkpoints; the next `ingest run` continues it.",
        discussion: "Exits 66 when the job does not exist, 65 when it has not failed (nothing to retry)."
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var job: JobArgument

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForWriting(create: false)
            let after = try store.retryFailedPhases(try job.jobID)
            print("retrying \(after.id) (\(JobText.phaseSummary(after)))")
        }
    }
}
