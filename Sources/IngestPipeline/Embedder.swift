/// Turns texts into vectors of a fixed dimension.
///
/// The runner calls `embed` from its worker pool with batches of chunk texts; an embedder
/// may be called from several tasks at once.
public protocol Embedder: Sendable {
    /// The length of every vector this embedder returns.
    var dimension: Int { get }

    /// A short, stable description stored with the job (`hashing-256`, `exec:CMD`), so a
    /// resumed job embeds with exactly what it started with.
    var identity: String { get }

    /// Embeds a batch of texts.
    /// - Returns: One vector of `dimension` floats per text, in order.
    /// - Throws: `EmbedderError` — per item where one item is at fault, for the whole
    ///   batch where the embedder itself failed.
    func embed(_ texts: [String]) async throws -> [[Float]]

    /// Embeds a batch of texts with a result per text, so one bad text does not sink the batch.
    /// - Throws: Only for failures of the whole batch (scope `.batch`).
    func embedEach(_ texts: [String]) async throws -> [Result<[Float], EmbedderError>]
}

extension Embedder {
    /// All or nothing: an item error from `embed` fails that item and the batch is retried
    /// without it; any other error fails the batch.
    public func embedEach(_ texts: [String]) async throws -> [Result<[Float], EmbedderError>] {
        do {
            return try await embed(texts).map { .success($0) }
        } catch let error as EmbedderError {
            guard case .item(let index) = error.scope, texts.indices.contains(index) else { throw error }
            var rest = texts
            rest.remove(at: index)
            var results = try await embedEach(rest)
            results.insert(.failure(error), at: index)
            return results
        }
    }
}

/// Why an embedder could not embed.
public struct EmbedderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Whether the fault lies with one item (skip it, go on) or with the embedder (retry,
    /// then fail the phase).
    public enum Scope: Sendable, Equatable {
        case item(index: Int)
        case batch
    }

    public let scope: Scope
    public let message: String

    public init(scope: Scope, message: String) {
        self.scope = scope
        self.message = message
    }

    public var description: String { message }
}
