import ArgumentParser
import IngestCore
import IngestStore

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hold a job: its running phases pause with reason `user` and no runner picks it up until `ingest resume`.",
        discussion: "Exits 66 when the job does not exist, 65 when it has finished (nothing to pause)."
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var job: JobArgument

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForWriting(create: false)
            let jobID = try job.jobID
            let wasHeld = try store.job(jobID)?.record.held ?? false
            let after = try store.hold(jobID)
            print(wasHeld ? "job \(jobID) was already paused" : "paused \(jobID) (\(JobText.phaseSummary(after)))")
        }
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release a user hold; the next `ingest run` continues the job from its checkpoint.",
        discussion: "Exits 66 when the job does not exist."
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var job: JobArgument

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForWriting(create: false)
            let jobID = try job.jobID
            guard let before = try store.job(jobID) else { throw StoreError.jobNotFound(jobID) }
            let wasHeld = before.record.held || before.phases.contains { $0.pauseReason == .user }
            let after = try store.release(jobID)
            print(wasHeld ? "resumed \(jobID) (\(JobText.phaseSummary(after)))" : "job \(jobID) was not paused")
        }
    }
}
