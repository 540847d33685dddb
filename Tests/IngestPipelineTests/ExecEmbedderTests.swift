import Foundation
import IngestTestSupport
import Testing
@testable import IngestPipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixture embedder in Python, written into a temporary directory for each test.
///
/// It answers `[len(text), request number, 0, …]` for each text, so tests can see order and
/// whether one process served several requests. Texts starting with `@` make it misbehave.
/// Arguments: `DIM [--early-output] [--fifo PATH]`. With `--fifo` it writes `pid N` to the
/// FIFO at start and `sleeping` before it sleeps, and keeps the FIFO open until it dies.
private let fixtureScript = #"""
import json, os, sys, time

dim = int(sys.argv[1])
args = sys.argv[2:]
fifo = None
if "--fifo" in args:
    fifo = open(args[args.index("--fifo") + 1], "w")
    fifo.write("pid %d\n" % os.getpid())
    fifo.flush()
if "--early-output" in args:
    # Fills the stdout pipe before reading anything: a parent that writes its whole
    # request before reading would deadlock with us.
    sys.stdout.write(" " * (1 << 20))
    sys.stdout.flush()

def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

requests = 0
for line in sys.stdin:
    requests += 1
    texts = json.loads(line)["texts"]
    print("request %d with %d texts" % (requests, len(texts)), file=sys.stderr, flush=True)
    vectors, errors = [], []
    for text in texts:
        vector = [float(len(text)), float(requests)] + [0.0] * (dim - 2)
        error = None
        if text == "@sleep":
            if fifo:
                fifo.write("sleeping\n")
                fifo.flush()
            time.sleep(30)
        elif text == "@exit3":
            print("giving up on purpose", file=sys.stderr, flush=True)
            sys.exit(3)
        elif text == "@abort":
            os.abort()
        elif text == "@dim":
            vector.append(0.0)
        elif text == "@nan":
            vector[0] = float("nan")
        elif text == "@inf":
            vector[1] = float("-inf")
        elif text == "@reject":
            vector, error = None, "too spicy"
        vectors.append(vector)
        errors.append(error)
    if "@garbage" in texts:
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
    elif "@novectors" in texts:
        reply({"vecs": vectors})
    elif "@count" in texts:
        reply({"vectors": vectors[:-1]})
    elif "@long" in texts:
        sys.stdout.write("x" * 5000)  # no newline
        sys.stdout.flush()
    elif "@huge" in texts:
        sys.stdout.write("x" * (65 << 20))  # no newline
        sys.stdout.flush()
    elif any(e is not None for e in errors):
        reply({"vectors": vectors, "errors": errors})
    else:
        reply({"vectors": vectors})
"""#

/// The vector the fixture gives `text` in its `request`-th request, dimension 4.
private func expected(_ text: String, request: Int) -> [Float] {
    [Float(text.count), Float(request), 0, 0]
}

/// Runs `body` and returns the `EmbedderError` it throws, recording an issue if it throws
/// nothing or something else.
private func embedderError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> EmbedderError? {
    do {
        try await body()
        Issue.record("expected an EmbedderError, got success", sourceLocation: sourceLocation)
    } catch let error as EmbedderError {
        return error
    } catch {
        Issue.record("expected an EmbedderError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

struct ExecEmbedderTests {
    let directory = TemporaryDirectory("exec-embedder")
    let script: String

    init() throws {
        script = directory.appending("embed.py")
        try fixtureScript.write(toFile: script, atomically: true, encoding: .utf8)
    }

    /// An embedder running the fixture with dimension 4.
    func makeEmbedder(
        timeout: Duration = .seconds(30), batchSize: Int = 32, arguments: String = "",
        maxLineBytes: Int = ExecEmbedder.defaultMaxLineBytes
    ) -> ExecEmbedder {
        ExecEmbedder(
            command: command(arguments), dimension: 4, timeout: timeout,
            batchSize: batchSize, logger: nil, maxLineBytes: maxLineBytes
        )
    }

    /// The shell command that runs the fixture.
    func command(_ arguments: String = "") -> String {
        ["python3", "'\(script)'", "4", arguments].filter { !$0.isEmpty }.joined(separator: " ")
    }

    // MARK: - Working embedder

    @Test func vectorsComeBackInOrderAndOneProcessServesEveryBatch() async throws {
        let embedder = makeEmbedder()
        #expect(embedder.identity == "exec:" + command())
        #expect(embedder.dimension == 4)
        let first = try await embedder.embed(["a", "bbb", "cc"])
        #expect(first == [expected("a", request: 1), expected("bbb", request: 1), expected("cc", request: 1)])
        let second = try await embedder.embed(["dddd"])
        #expect(second == [expected("dddd", request: 2)])
        let third = try await embedder.embed(["with \"quotes\", a / slash\nand a newline", "é"])
        #expect(third == [expected("with \"quotes\", a / slash\nand a newline", request: 3), expected("é", request: 3)])
    }

    @Test func longListsAreSplitIntoBatchesOfBatchSize() async throws {
        let embedder = makeEmbedder(batchSize: 2)
        let texts = ["a", "bb", "ccc", "dddd", "eeeee"]
        let vectors = try await embedder.embed(texts)
        #expect(vectors == zip(texts, [1, 1, 2, 2, 3]).map { expected($0, request: $1) })
    }

    @Test func anEmptyListStartsNothing() async throws {
        let embedder = ExecEmbedder(command: "definitely-not-a-command-7f3a", dimension: 4)
        #expect(try await embedder.embed([]).isEmpty)
    }

    @Test func concurrentCallsAreSerialisedOverOneProcess() async throws {
        let embedder = makeEmbedder()
        let results = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for length in 1...8 {
                group.addTask { (length, try await embedder.embed([String(repeating: "x", count: length)])) }
            }
            return try await group.reduce(into: [(Int, [[Float]])]()) { $0.append($1) }
        }
        #expect(results.count == 8)
        for (length, vectors) in results {
            #expect(vectors.count == 1)
            #expect(vectors.first?.first == Float(length))
        }
        // Each call was its own request to the same process: numbers 1…8, each once.
        #expect(results.compactMap { $0.1.first?[1] }.sorted() == (1...8).map(Float.init))
    }

    @Test func aLargeBatchDoesNotDeadlockAgainstAChildThatWritesFirst() async throws {
        // 4 MiB of request against a child that fills its stdout pipe before reading:
        // the request can only get through if stdout is read while stdin is written.
        let embedder = makeEmbedder(timeout: TestTime.scaled(.seconds(20)), batchSize: 64, arguments: "--early-output")
        let texts = (0..<64).map { String(repeating: Character(String($0 % 10)), count: 64 * 1024) }
        let vectors = try await embedder.embed(texts)
        #expect(vectors == texts.map { expected($0, request: 1) })
    }

    // MARK: - Batch failures

    @Test func aCommandThatDoesNotExistIsABatchErrorSayingNotFound() async throws {
        let embedder = ExecEmbedder(command: "definitely-not-a-command-7f3a --flag", dimension: 4)
        let error = await embedderError { _ = try await embedder.embed(["a"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("definitely-not-a-command-7f3a") == true)
        #expect(error?.message.contains("not found") == true)
    }

    @Test func aChildThatDoesNotAnswerInTimeIsABatchError() async throws {
        let embedder = makeEmbedder(timeout: .milliseconds(500))
        let error = await embedderError { _ = try await embedder.embed(["a", "@sleep"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("did not answer within 0.5 s") == true)
        #expect(error?.message.contains("SIGKILL") == true)
        #expect(error?.message.contains(script) == true)
    }

    @Test func aChildThatTimesOutIsKilledWithWhatTheShellStartedAndReplaced() async throws {
        // The timeout leaves room for a slow start on a busy machine, yet is far below the
        // fixture's 30 s sleep.
        let fifo = try FIFO(directory.appending("events"))
        let embedder = makeEmbedder(timeout: .seconds(10), arguments: "--fifo '\(fifo.path)'")
        let error = await embedderError { _ = try await embedder.embed(["@sleep"]) }
        #expect(error?.message.contains("did not answer within 10 s") == true)
        #expect(await fifo.next(within: 60).line?.hasPrefix("pid ") == true)
        #expect(await fifo.next(within: 60) == .line("sleeping"))
        // The Python process under `/bin/sh -c` died too: its end of the FIFO closed.
        #expect(await fifo.next(within: 60) == .hangUp)
        // The next batch is request 1 of a new process.
        #expect(try await embedder.embed(["again"]) == [expected("again", request: 1)])
    }

    @Test func aChildThatExitsIsABatchErrorWithItsStatusAndStderr() async throws {
        let embedder = makeEmbedder()
        let error = await embedderError { _ = try await embedder.embed(["a", "@exit3"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("exited with status 3") == true)
        #expect(error?.message.contains("giving up on purpose") == true)
    }

    @Test func afterACrashTheNextBatchRunsInANewProcess() async throws {
        let embedder = makeEmbedder()
        #expect(try await embedder.embed(["a"]) == [expected("a", request: 1)])
        #expect(try await embedder.embed(["b"]) == [expected("b", request: 2)])
        let error = await embedderError { _ = try await embedder.embed(["@abort"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("SIGABRT") == true)
        // Request 1 again: a fresh process, where the old one would have said 4.
        #expect(try await embedder.embed(["cc"]) == [expected("cc", request: 1)])
    }

    @Test(arguments: [
        ("@garbage", "not JSON: «this is not json»"),
        ("@novectors", "without a \"vectors\" field"),
        ("@count", "answered 1 vectors for 2 texts"),
    ])
    func outputThatIsNoReplyIsABatchError(trigger: String, phrase: String) async throws {
        let embedder = makeEmbedder()
        let error = await embedderError { _ = try await embedder.embed(["a", trigger]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains(phrase) == true, "\(error?.message ?? "")")
        // The child was replaced, so its next answer lines up with the next request.
        #expect(try await embedder.embed(["ok"]) == [expected("ok", request: 1)])
    }

    @Test func aLineLongerThanTheLimitIsABatchError() async throws {
        let embedder = makeEmbedder(maxLineBytes: 1000)
        // Control: a normal reply, about 40 bytes, fits.
        #expect(try await embedder.embed(["ok"]) == [expected("ok", request: 1)])
        let error = await embedderError { _ = try await embedder.embed(["@long"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("longer than 1000 bytes") == true)
        #expect(try await embedder.embed(["ok"]) == [expected("ok", request: 1)])
    }

    @Test func theDefaultLineLimitIs64MiB() async throws {
        // Reading 64 MiB takes a while in a sanitized build: the deadline scales with it.
        let embedder = makeEmbedder(timeout: TestTime.scaled(.seconds(30)))
        let error = await embedderError { _ = try await embedder.embed(["@huge"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("longer than 64 MiB") == true)
    }

    // MARK: - Item failures

    @Test(arguments: [0, 1, 2])
    func aVectorOfTheWrongDimensionIsAnItemError(badIndex: Int) async throws {
        let embedder = makeEmbedder(batchSize: 2)  // the bad item may be in the second request
        var texts = ["a", "bb", "ccc"]
        texts[badIndex] = "@dim"
        let results = try await embedder.embedEach(texts)
        #expect(results.count == 3)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let vector):
                #expect(index != badIndex)
                #expect(vector.first == Float(texts[index].count))
            case .failure(let error):
                #expect(index == badIndex)
                #expect(error.scope == .item(index: badIndex))
                #expect(error.message.contains("5 numbers for item \(badIndex); expected 4"))
            }
        }
        let thrown = await embedderError { _ = try await embedder.embed(texts) }
        #expect(thrown?.scope == .item(index: badIndex))
    }

    @Test(arguments: ["@nan", "@inf"])
    func aNonFiniteNumberIsAnItemError(trigger: String) async throws {
        let embedder = makeEmbedder()
        let results = try await embedder.embedEach(["a", trigger, "ccc"])
        #expect((try? results[0].get()) == expected("a", request: 1))
        #expect((try? results[2].get()) == expected("ccc", request: 1))
        guard case .failure(let error) = results[1] else {
            Issue.record("expected an item error for \(trigger)")
            return
        }
        #expect(error.scope == .item(index: 1))
        #expect(error.message.contains("non-finite"))
    }

    @Test func aReasonFromTheChildIsAnItemErrorWithThatReason() async throws {
        let embedder = makeEmbedder()
        let results = try await embedder.embedEach(["@reject", "bb"])
        #expect((try? results[1].get()) == expected("bb", request: 1))
        guard case .failure(let error) = results[0] else {
            Issue.record("expected an item error for the rejected text")
            return
        }
        #expect(error.scope == .item(index: 0))
        #expect(error.message.contains("too spicy"))
        // An item error leaves the child running: the next batch is its request 2.
        #expect(try await embedder.embed(["c"]) == [expected("c", request: 2)])
    }

    // MARK: - Shutdown

    @Test func shutdownKillsTheChildAndRefusesLaterBatches() async throws {
        let fifo = try FIFO(directory.appending("events"))
        let embedder = makeEmbedder(arguments: "--fifo '\(fifo.path)'")
        #expect(try await embedder.embed(["a"]) == [expected("a", request: 1)])
        #expect(await fifo.next(within: 60).line?.hasPrefix("pid ") == true)
        // Control: while the child lives, its end of the FIFO stays open.
        #expect(await fifo.next(within: 0) == .nothing)
        embedder.shutdown()
        #expect(await fifo.next(within: 60) == .hangUp)
        let error = await embedderError { _ = try await embedder.embed(["b"]) }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("shut down") == true)
    }

    @Test func shutdownInterruptsABatchInFlight() async throws {
        let fifo = try FIFO(directory.appending("events"))
        let embedder = makeEmbedder(timeout: .seconds(120), arguments: "--fifo '\(fifo.path)'")
        let call = Task { try await embedder.embed(["@sleep"]) }
        #expect(await fifo.next(within: 60).line?.hasPrefix("pid ") == true)
        #expect(await fifo.next(within: 60) == .line("sleeping"))
        embedder.shutdown()
        // Without the kill this would wait 120 s and report a timeout instead.
        let error = await embedderError { _ = try await call.value }
        #expect(error?.scope == .batch)
        #expect(error?.message.contains("shut down while a batch was in flight") == true)
        #expect(await fifo.next(within: 60) == .hangUp)
    }

    @Test func deinitKillsTheChild() async throws {
        let fifo = try FIFO(directory.appending("events"))
        do {
            let embedder = makeEmbedder(arguments: "--fifo '\(fifo.path)'")
            #expect(try await embedder.embed(["a"]) == [expected("a", request: 1)])
        }
        #expect(await fifo.next(within: 60).line?.hasPrefix("pid ") == true)
        #expect(await fifo.next(within: 60) == .hangUp)
    }
}

/// The read end of a FIFO that the fixture writes events to; it hangs up when the fixture
/// dies (it is the only writer).
private final class FIFO: @unchecked Sendable {
    enum Event: Equatable {
        case line(String)
        case hangUp
        case nothing

        var line: String? {
            if case .line(let text) = self { return text }
            return nil
        }
    }

    let path: String
    private let fd: Int32
    private var pending: [UInt8] = []
    /// Each `next` reads on a new thread; the lock hands `pending` from one to the next in a
    /// way ThreadSanitizer sees (it does not see the Swift runtime's continuation resumes).
    private let lock = NSLock()

    /// Creates the FIFO and opens its read end without waiting for a writer.
    init(_ path: String) throws {
        self.path = path
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(fd)
    }

    /// Waits up to `seconds` (on a thread of its own) for the next line or the hang-up.
    func next(within seconds: Int32) async -> Event {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.blockingNext(within: seconds)) }
        }
    }

    private func blockingNext(within seconds: Int32) -> Event {
        lock.lock()
        defer { lock.unlock() }
        let deadline = ContinuousClock.now + TestTime.scaled(.seconds(Int(seconds)))
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeFirst(newline + 1)
                return .line(line)
            }
            // Poll before reading: a read returns 0 while the writer has not opened the FIFO
            // yet, but poll only reports a hang-up once a writer has come and gone.
            let remaining = deadline - ContinuousClock.now
            let milliseconds = Int32(max(0, remaining.components.seconds * 1000))
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready == 0 { return .nothing }
            if ready < 0 { continue }  // EINTR
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                pending += chunk[0..<count]
            } else if count == 0 {
                return .hangUp
            }
        }
    }
}
