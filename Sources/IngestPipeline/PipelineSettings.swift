internal import Foundation

/// The settings of a built-in pipeline job, stored with the job at submit so that every
/// run and every resume uses exactly these.
public struct PipelineSettings: Sendable, Hashable, Codable {
    /// Only files matching one of these globs (all files when empty).
    public var include: [String]
    /// Files and directories matching one of these are skipped.
    public var exclude: [String]
    /// Chunk size and overlap in UTF-8 bytes.
    public var chunking: ChunkingOptions
    /// `hashing-DIM` for the built-in embedder, or `exec:COMMAND`.
    public var embedder: String
    /// The vector dimension an `exec:` embedder returns.
    public var dimension: Int
    /// How long an `exec:` embedder may take for one batch, in seconds.
    public var embedTimeoutSeconds: Int
    /// Files larger than this fail as items.
    public var maxFileBytes: Int
    /// Whether symbolic links are followed (loops are always safe).
    public var followSymlinks: Bool

    public init(
        include: [String] = [], exclude: [String] = [], chunking: ChunkingOptions = ChunkingOptions(),
        embedder: String = "hashing-256", dimension: Int = 256, embedTimeoutSeconds: Int = 30,
        maxFileBytes: Int = 16 << 20, followSymlinks: Bool = true
    ) {
        self.include = include
        self.exclude = exclude
        self.chunking = chunking
        self.embedder = embedder
        self.dimension = dimension
        self.embedTimeoutSeconds = embedTimeoutSeconds
        self.maxFileBytes = maxFileBytes
        self.followSymlinks = followSymlinks
    }

    /// Checks every setting, so that a bad one is refused at submit, not at run time.
    /// - Throws: `PipelineSettingsError` naming the setting and what is allowed.
    public func validate() throws(PipelineSettingsError) {
        for pattern in include + exclude {
            do { _ = try Glob(pattern) } catch { throw PipelineSettingsError("glob \"\(pattern)\": \(error)") }
        }
        do { try chunking.validate() } catch { throw PipelineSettingsError("\(error)") }
        guard maxFileBytes > 0 else { throw PipelineSettingsError("--max-file-size must be positive") }
        guard embedTimeoutSeconds > 0 else { throw PipelineSettingsError("--embed-timeout must be positive") }
        if embedder.hasPrefix("exec:") {
            guard embedder.count > 5 else { throw PipelineSettingsError("--embedder exec: needs a command after the colon") }
            guard (1...65_536).contains(dimension) else {
                throw PipelineSettingsError("--dimension must be between 1 and 65536, not \(dimension)")
            }
        } else if HashingEmbedder(identity: embedder) == nil {
            throw PipelineSettingsError("unknown embedder \"\(embedder)\"; use hashing-DIM (e.g. hashing-256) or exec:COMMAND")
        }
    }

    /// The bytes stored in the job record.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? Array(encoder.encode(self))) ?? []
    }

    /// Reads the settings stored with a job.
    /// - Throws: `PipelineSettingsError` when they are not a pipeline job's settings.
    ///   They are checked as at submit, so that damaged ones fail here, not deep in a phase.
    public init(stored bytes: [UInt8]) throws(PipelineSettingsError) {
        do {
            self = try JSONDecoder().decode(PipelineSettings.self, from: Data(bytes))
        } catch {
            throw PipelineSettingsError("the job's stored settings cannot be read (\(error)); was it submitted by a host with its own plan?")
        }
        do { try validate() } catch { throw PipelineSettingsError("the job's stored settings are invalid: \(error)") }
    }

    /// What decides a document's chunks and vectors. A later job over the same source skips
    /// an unchanged file only when this is the same too.
    var indexFingerprint: String {
        "chunk \(chunking.size)/\(chunking.overlap) embed \(embedder)/\(dimension)"
    }

    /// The embedder these settings name.
    func makeEmbedder() throws(PipelineSettingsError) -> any Embedder {
        if embedder.hasPrefix("exec:") {
            return ExecEmbedder(
                command: String(embedder.dropFirst(5)), dimension: dimension,
                timeout: .seconds(embedTimeoutSeconds)
            )
        }
        guard let hashing = HashingEmbedder(identity: embedder) else {
            throw PipelineSettingsError("unknown embedder \"\(embedder)\"")
        }
        return hashing
    }
}

/// A pipeline setting that cannot be used.
public struct PipelineSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
