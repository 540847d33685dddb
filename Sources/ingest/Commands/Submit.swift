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

    @Option(name: .customLong("include"), help: ArgumentHelp("Only files matching this glob (repeatable; `*.md`, `docs/**`).", valueName: "glob"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip files and directories matching this glob (repeatable).", valueName: "glob"))
    var excludes: [String] = []

    @Option(help: "Chunk size in UTF-8 bytes.")
    var chunkSize: Int = ChunkingOptions().size

    @Option(help: "Bytes of the previous chunk repeated at the start of the next.")
    var overlap: Int = ChunkingOptions().overlap

    @Option(help: ArgumentHelp("hashing-DIM (built in, e.g. hashing-256) or exec:COMMAND (your model, over JSON lines).", valueName: "embedder"))
    var embedder: String = "hashing-256"

    @Option(help: "The vector dimension an exec: embedder returns.")
    var dimension: Int = 256

    @Option(help: ArgumentHelp("How long an exec: embedder may take per batch.", valueName: "duration"))
    var embedTimeout: String = "30s"

    @Option(help: "Files larger than this many bytes fail as items.")
    var maxFileSize: Int = PipelineSettings().maxFileBytes

    @Flag(help: "Do not follow symbolic links.")
    var noFollowSymlinks = false

    func validate() throws {
        if let id {
            do { _ = try JobID(validating: id) } catch { throw ValidationError(error.description) }
        }
        guard !source.isEmpty else { throw ValidationError("SOURCE must not be empty") }
        guard let timeout = DurationParser.parse(embedTimeout), timeout >= .seconds(1) else {
            throw ValidationError("--embed-timeout \"\(embedTimeout)\" is not a duration of at least 1s")
        }
        do { try settings.validate() } catch { throw ValidationError(error.description) }
    }

    var settings: PipelineSettings {
        let timeout = DurationParser.parse(embedTimeout)?.components.seconds ?? 30
        var embedder = embedder
        // A bare `hashing` means the default dimension.
        if embedder == "hashing" { embedder = "hashing-256" }
        return PipelineSettings(
            include: includes, exclude: excludes, chunking: ChunkingOptions(size: chunkSize, overlap: overlap),
            embedder: embedder, dimension: dimension, embedTimeoutSeconds: Int(max(1, timeout)),
            maxFileBytes: maxFileSize, followSymlinks: !noFollowSymlinks
        )
    }

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
