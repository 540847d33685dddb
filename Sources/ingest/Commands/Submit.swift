import ArgumentParser
import Foundation
import IngestCore
import IngestStore

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a job for SOURCE and print its id.",
        discussion: "Submitting again with the same --id and source is a no-op that prints the same id."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("The file or directory to ingest.", valueName: "source"))
    var source: String

    @Option(help: ArgumentHelp("Use this job id ([A-Za-z0-9._-], 1 to 128) instead of a generated one.", valueName: "id"))
    var id: String?

    func validate() throws {
        if let id {
            do { _ = try JobID(validating: id) } catch { throw ValidationError(error.description) }
        }
        guard !source.isEmpty else { throw ValidationError("SOURCE must not be empty") }
    }

    func run() throws {
        try reportingErrors {
            let sourcePath = URL(fileURLWithPath: source).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: sourcePath) else { throw CLIError.sourceMissing(sourcePath) }
            let jobID = try id.map { try JobID(validating: $0) }
            let store = try storeOptions.openForWriting(create: true)
            let (submitted, created) = try store.submit(id: jobID, source: sourcePath)
            if !created { printError("ingest: job \(submitted) was already submitted with this source") }
            print(submitted.rawValue)
        }
    }
}
