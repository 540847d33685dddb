import ArgumentParser

/// `ingest`: durable, resumable batch ingestion.
@main
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Durable, resumable batch ingestion: load → chunk → embed → index, state in LMDB.",
        discussion: ExitStatus.helpText,
        version: "0.1.0",
        subcommands: [
            Submit.self, Run.self, StatusCommand.self, ListCommand.self, Pause.self, Resume.self, Retry.self,
            History.self, Search.self, Export.self, Verify.self, Backup.self, MetricsCommand.self, Watch.self,
            GarbageCollect.self, Compact.self,
        ]
    )
}
