import ArgumentParser
import IngestCore
import IngestPipeline

/// The pipeline settings a job is submitted with. `submit` stores them with the job; `run`
/// accepts the same flags only to warn when they disagree with a job's stored settings —
/// a job always runs, and resumes, with exactly what it was submitted with.
struct SettingsOptions: ParsableArguments {
    @Option(name: .customLong("include"), help: ArgumentHelp("Only files matching this glob (repeatable; `*.md`, `docs/**`).", valueName: "glob"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip files and directories matching this glob (repeatable).", valueName: "glob"))
    var excludes: [String] = []

    @Option(help: ArgumentHelp("Chunk size in UTF-8 bytes (default \(ChunkingOptions().size)).", valueName: "bytes"))
    var chunkSize: Int?

    @Option(help: ArgumentHelp("Bytes of the previous chunk repeated at the start of the next (default \(ChunkingOptions().overlap)).", valueName: "bytes"))
    var overlap: Int?

    @Option(help: ArgumentHelp("hashing-DIM (built in, e.g. hashing-256; the default) or exec:COMMAND (your model, over JSON lines).", valueName: "embedder"))
    var embedder: String?

    @Option(help: ArgumentHelp("The vector dimension an exec: embedder returns (default 256).", valueName: "n"))
    var dimension: Int?

    @Option(help: ArgumentHelp("How long an exec: embedder may take per batch (default 30s).", valueName: "duration"))
    var embedTimeout: String?

    @Option(help: ArgumentHelp("Files larger than this many bytes fail as items (default \(PipelineSettings().maxFileBytes)).", valueName: "bytes"))
    var maxFileSize: Int?

    @Flag(help: "Do not follow symbolic links.")
    var noFollowSymlinks = false

    func validate() throws {
        if let embedTimeout {
            guard let timeout = DurationParser.parse(embedTimeout), timeout >= .seconds(1) else {
                throw ValidationError("--embed-timeout \"\(embedTimeout)\" is not a duration of at least 1s")
            }
        }
    }

    /// The settings these flags give, with the defaults for what was not given.
    var settings: PipelineSettings {
        let defaults = PipelineSettings()
        // A bare `hashing` means the default dimension.
        let embedder = embedder.map { $0 == "hashing" ? "hashing-256" : $0 } ?? "hashing-256"
        let timeout = embedTimeout.flatMap(DurationParser.parse)?.components.seconds ?? 30
        return PipelineSettings(
            include: includes, exclude: excludes,
            chunking: ChunkingOptions(size: chunkSize ?? defaults.chunking.size, overlap: overlap ?? defaults.chunking.overlap),
            embedder: embedder, dimension: dimension ?? 256, embedTimeoutSeconds: Int(max(1, timeout)),
            maxFileBytes: maxFileSize ?? defaults.maxFileBytes, followSymlinks: !noFollowSymlinks
        )
    }

    /// The flags given here whose values differ from `stored`, as `--flag value` (stored value).
    func disagreements(with stored: PipelineSettings) -> [String] {
        let given = settings
        var found: [String] = []
        func check(_ flag: String, _ wasGiven: Bool, _ mine: String, _ theirs: String) {
            if wasGiven && mine != theirs { found.append("\(flag) \(mine) (the job has \(theirs.isEmpty ? "none" : theirs))") }
        }
        check("--include", !includes.isEmpty, includes.joined(separator: ","), stored.include.joined(separator: ","))
        check("--exclude", !excludes.isEmpty, excludes.joined(separator: ","), stored.exclude.joined(separator: ","))
        check("--chunk-size", chunkSize != nil, "\(given.chunking.size)", "\(stored.chunking.size)")
        check("--overlap", overlap != nil, "\(given.chunking.overlap)", "\(stored.chunking.overlap)")
        check("--embedder", embedder != nil, given.embedder, stored.embedder)
        check("--dimension", dimension != nil, "\(given.dimension)", "\(stored.dimension)")
        check("--embed-timeout", embedTimeout != nil, "\(given.embedTimeoutSeconds)s", "\(stored.embedTimeoutSeconds)s")
        check("--max-file-size", maxFileSize != nil, "\(given.maxFileBytes)", "\(stored.maxFileBytes)")
        check("--no-follow-symlinks", noFollowSymlinks, "set", stored.followSymlinks ? "not set" : "set")
        return found
    }
}
