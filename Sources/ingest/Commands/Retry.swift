import ArgumentParser
import IngestStore

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart a failed job's failed phases from their checkpoints; the next `ingest run` continues it."
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
