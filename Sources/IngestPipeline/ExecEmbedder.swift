public import Logging

/// An embedder that streams batches to a user's command over JSON lines, so that any
/// model can plug in (`ingest submit --embedder 'exec:python3 my_embed.py'`).
///
/// ## Running the command
/// The command runs as `/bin/sh -c COMMAND`, in the current directory and environment,
/// started on the first batch and kept running across batches. Batches go to it one at a
/// time, however many tasks call ``embed(_:)`` at once. If it crashes, times out or breaks
/// the protocol, it is killed and a fresh one is started for the next batch. It is killed
/// with `SIGKILL` (its whole process group: the shell and what the shell started) on
/// ``shutdown()`` and when the embedder is deinitialised. It should also exit by itself when
/// its stdin reaches end of file.
///
/// ## The protocol
/// For each batch the embedder writes one line of JSON to the command's stdin:
///
///     {"texts": ["first text", "second text"]}
///
/// and the command answers one line of JSON on its stdout, with one vector of `dimension`
/// numbers per text, in order:
///
///     {"vectors": [[0.12, -0.5, …], [0.3, 0.01, …]]}
///
/// To reject single texts, it adds `"errors"` with one entry per text — `null`, or a
/// reason — and may put `null` in `vectors` where it gives a reason:
///
///     {"vectors": [[0.12, -0.5, …], null], "errors": [null, "text too long for the model"]}
///
/// Texts never contain a raw newline (JSON escapes it), so a line-by-line reader works.
/// Nothing but reply lines may go to stdout: logs, progress and warnings go to stderr,
/// whose last lines are quoted in error messages (and each line is logged to the
/// `logger`, if one is given). The command must flush stdout after each reply. `NaN` and
/// `Infinity` are read (as Python's `json` writes them) and turn into item errors. A
/// minimal Python embedder:
///
///     import json, sys
///     for line in sys.stdin:
///         texts = json.loads(line)["texts"]
///         vectors = [model.encode(t).tolist() for t in texts]
///         print(json.dumps({"vectors": vectors}), flush=True)
///
/// ## Errors
/// A batch fails as a whole — an `EmbedderError` with scope `.batch`, whose message names
/// the command and, where it helps, quotes its stderr — when the command cannot be started
/// or is not found, does not answer within `timeout`, exits or crashes (the message gives
/// its exit status or signal), answers something that is not JSON or has no `vectors`,
/// answers a line longer than 64 MiB, or answers the wrong number of vectors or errors.
/// One text fails — scope `.item(index:)` — when the command gives a reason for it in
/// `errors`, or its vector is `null`, has the wrong length, or holds a value that is not a
/// finite 32-bit float. ``embedEach(_:)`` reports every item; ``embed(_:)`` throws the first
/// item error.
public final class ExecEmbedder: Embedder {
    /// The shell command line the embedder runs.
    public let command: String
    /// The length of every vector.
    public let dimension: Int
    /// `exec:` followed by the command.
    public let identity: String
    /// How long one request may wait for its reply.
    public let timeout: Duration
    /// The most texts sent in one request; longer lists are split.
    public let batchSize: Int

    /// The longest reply line accepted.
    static let defaultMaxLineBytes = 64 << 20

    private let session: ExecSession

    /// Creates an embedder for `command`; nothing starts until the first batch.
    /// - Parameters:
    ///   - command: A shell command line, run as `/bin/sh -c command`.
    ///   - dimension: The length of every vector the command returns.
    ///   - timeout: How long one request may wait for its reply (including the command's
    ///     start-up on the first batch). Past it the command is killed and the batch fails.
    ///   - batchSize: The most texts sent in one request; at least 1.
    ///   - logger: Receives each line the command writes to stderr, at `info` level.
    public convenience init(
        command: String, dimension: Int, timeout: Duration = .seconds(30), batchSize: Int = 32,
        logger: Logger? = nil
    ) {
        self.init(
            command: command, dimension: dimension, timeout: timeout, batchSize: batchSize,
            logger: logger, maxLineBytes: Self.defaultMaxLineBytes
        )
    }

    /// Creates an embedder with a different reply-line limit (for tests).
    init(
        command: String, dimension: Int, timeout: Duration, batchSize: Int, logger: Logger?,
        maxLineBytes: Int
    ) {
        self.command = command
        self.dimension = dimension
        self.identity = "exec:" + command
        self.timeout = timeout
        self.batchSize = max(1, batchSize)
        self.session = ExecSession(
            command: command, dimension: dimension, timeout: timeout, maxLineBytes: maxLineBytes,
            logger: logger
        )
    }

    deinit {
        session.shutdown()
    }

    /// Embeds `texts`, failing on the first text the command could not embed.
    /// - Parameter texts: The texts, in any number; split into requests of ``batchSize``.
    /// - Returns: One vector of ``dimension`` floats per text, in order.
    /// - Throws: `EmbedderError` with scope `.batch` when the command failed as a whole,
    ///   else with scope `.item(index:)` for the first text it could not embed (the index
    ///   is into `texts`). Use ``embedEach(_:)`` to learn about every text.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embedEach(texts).map { try $0.get() }
    }

    /// Embeds `texts`, reporting each text's vector or error separately.
    /// - Parameter texts: The texts, in any number; split into requests of ``batchSize``,
    ///   sent one after another.
    /// - Returns: Per text, in order, its vector of ``dimension`` floats or an
    ///   `EmbedderError` with scope `.item(index:)` (the index into `texts`) saying why
    ///   the command could not embed it.
    /// - Throws: `EmbedderError` with scope `.batch` when the command failed as a whole for
    ///   any request (not started, not found, timed out, crashed, garbled output); the
    ///   vectors of earlier requests are then lost too.
    public func embedEach(_ texts: [String]) async throws -> [Result<[Float], EmbedderError>] {
        var results: [Result<[Float], EmbedderError>] = []
        results.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(start + batchSize, texts.count)
            results += try await session.run(Array(texts[start..<end]), offset: start)
            start = end
        }
        return results
    }

    /// Kills the command now; later calls fail with a batch error. A batch in flight fails
    /// with a batch error saying the embedder was shut down. Calling it again does nothing.
    public func shutdown() {
        session.shutdown()
    }
}
