import ArgumentParser
import Foundation
import IngestCore
import IngestPipeline
import IngestStore

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a job that ingests SOURCE (a directory or a file) and print its id.",
        discussion: """
            The settings given here are stored with the job; every run and resume uses exactly them. \
            Submitting again with the same --id, source and settings prints the same id and changes nothing.
            Exits 66 when SOURCE does not exist, 65 when --id names a job with another source or settings.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("The directory or file to ingest.", valueName: "source"))
    var source: String

    @Option(help: ArgumentHelp("Use this job id ([A-Za-z0-9._-], 1 to 128) instead of a generated one.", valueName: "id"))
    var id: String?

    @OptionGroup var settingsOptions: SettingsOptions

    func validate() throws {
        if let id {
            do { _ = try JobID(validating: id) } catch { throw ValidationError(error.description) }
        }
        guard !source.isEmpty else { throw ValidationError("SOURCE must not be empty") }
        do { try settings.validate() } catch { throw ValidationError(error.description) }
    }

    var settings: PipelineSettings { settingsOptions.settings }

    func run() throws {
        try reportingErrors {
            let sourcePath = URL(fileURLWithPath: source).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: sourcePath) else { throw CLIError.sourceMissing(sourcePath) }
            let jobID = try id.map { try JobID(validating: $0) }
            let store = try storeOptions.openForWriting(create: true)
            let (submitted, created) = try Pipeline.submit(store, source: sourcePath, id: jobID, settings: settings)
            if !created { printError("ingest: job \(submitted) was already submitted with this source and settings") }
            print(submitted.rawValue)
        }
    }
}
