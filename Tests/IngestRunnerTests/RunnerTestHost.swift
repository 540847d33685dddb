import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import LMDBKit
import Logging
import Synchronization
import Testing

// The host of Sources/HostExample/main.swift, mirrored as a library user would write it,
// with hooks so a test can slow it down, make it fail, or stop the run from inside it.

/// Big-endian bytes, so byte order is numeric order.
func bytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
func number(_ bytes: some Collection<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

/// 1² + … + n².
func sumOfSquares(_ n: UInt64) -> UInt64 { n * (n + 1) * (2 * n + 1) / 6 }

/// The source: 1…N, N from the job's settings.
struct NumberSource: ItemSource {
    func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem] {
        let last = UInt64(String(decoding: job.settings, as: UTF8.self)) ?? 0
        let first = checkpoint.map { number($0) + 1 } ?? 1
        guard first <= last else { return [] }
        return (first...min(last, first + UInt64(limit) - 1)).map { WorkItem(key: bytes($0)) }
    }
}

/// Phase "fetch": squares each number and hands it on.
struct SquareFetch: PhaseWorker {
    /// Runs for each number before it is squared: returns a reason to reject the item,
    /// throws to fail the worker (not the item).
    var hook: @Sendable (UInt64) async throws -> String? = { _ in nil }
    var batchSize: Int = 1

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
        var outcomes: [ItemOutcome<UInt64>] = []
        for item in items {
            let value = number(item.key)
            if let reason = try await hook(value) {
                outcomes.append(.failed(reason: reason))
            } else {
                outcomes.append(.done(value * value))
            }
        }
        return outcomes
    }

    func commit(_ square: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        [WorkItem(key: item.key, payload: bytes(square))]
    }
}

/// The host's own databases.
struct HostDatabases: Sendable {
    /// job id → running total; "dupes/" job id → how many items were committed twice.
    let totals: Database
    /// job id · 0x00 · item key → empty: which items the tally committed.
    let seen: Database
}

/// Phase "tally": adds each square into `totals`, and notes every item it commits in `seen`
/// so that a second commit of one item is counted rather than hidden in the sum.
struct Tally: PhaseWorker {
    let databases: HostDatabases

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<UInt64>] {
        items.map { .done(number($0.payload)) }
    }

    func commit(_ square: UInt64, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        let txn = batch.transaction
        let seenKey = job.id.bytes + [0] + item.key
        if try txn.contains(databases.seen, seenKey) {
            let dupesKey = Array("dupes/".utf8) + job.id.bytes
            try txn.put(databases.totals, dupesKey, bytes((try txn.get(databases.totals, dupesKey).map(number) ?? 0) + 1))
        }
        try txn.put(databases.seen, seenKey, [])
        let total = try txn.get(databases.totals, job.id.bytes).map(number) ?? 0
        try txn.put(databases.totals, job.id.bytes, bytes(total + square))
        return []
    }
}

/// A store with the host's databases, in a temporary directory.
final class Host: Sendable {
    let directory: TemporaryDirectory
    let store: JobStore
    let databases: HostDatabases

    static func plan() throws -> Plan {
        try Plan(phases: [PhaseSpec(name: "fetch", weight: 0.3), PhaseSpec(name: "tally", weight: 0.7)])
    }

    init() throws {
        directory = TemporaryDirectory("ingest-runner-test")
        store = try JobStore.open(at: directory.appending("store"))
        let totals = try #require(try store.environment.openDatabase(named: "totals", create: true))
        let seen = try #require(try store.environment.openDatabase(named: "seen", create: true))
        databases = HostDatabases(totals: totals, seen: seen)
    }

    /// Submits 1…n under a fresh id. Ids are unique across tests because the runner keeps a
    /// process-wide set of claimed job ids (see `InProcessClaimTests`).
    func submit(_ name: String, n: UInt64) throws -> JobID {
        let id = try JobID(validating: "\(name)-\(UInt32.random(in: 0...UInt32.max))")
        _ = try store.submit(id: id, source: "1...\(n)", plan: try Host.plan(), settings: Array("\(n)".utf8))
        return id
    }

    func runner(
        _ configuration: RunnerConfiguration, fetch: SquareFetch = SquareFetch(),
        events: @escaping @Sendable (RunEvent) -> Void = { _ in }
    ) -> Runner {
        let databases = databases
        return Runner(
            store: store, configuration: configuration,
            factory: { _ in JobDefinition(source: NumberSource(), workers: [fetch, Tally(databases: databases)]) },
            logger: quietLogger,
            events: events
        )
    }

    func snapshot(_ id: JobID) throws -> JobSnapshot {
        try #require(try store.job(id))
    }

    func total(_ id: JobID) throws -> UInt64 {
        try store.environment.read { txn in try txn.get(databases.totals, id.bytes).map(number) } ?? 0
    }

    func duplicates(_ id: JobID) throws -> UInt64 {
        try store.environment.read { txn in
            try txn.get(databases.totals, Array("dupes/".utf8) + id.bytes).map(number)
        } ?? 0
    }

    /// The numbers the tally committed.
    func seen(_ id: JobID) throws -> [UInt64] {
        try store.environment.read { txn in
            var numbers: [UInt64] = []
            let prefix = id.bytes + [0]
            try txn.scan(databases.seen, prefix: prefix) { key, _ in
                numbers.append(number(key.dropFirst(prefix.count)))
                return true
            }
            return numbers
        }
    }

    /// How many of 1…n have a receipt in phase `ordinal`.
    func receipts(_ id: JobID, phase ordinal: Int, n: UInt64) throws -> Int {
        try (1...n).count { try store.hasReceipt(id, phase: ordinal, itemKey: bytes($0)) }
    }

    /// How many times a runner claimed the job.
    func claims(_ id: JobID) throws -> Int {
        try store.journal(id).count { if case .claimed = $0.event { true } else { false } }
    }

    /// Waits (at most `timeout` × the ``TestTime`` scale) until `condition` holds for the job.
    func waitFor(
        _ id: JobID, timeout: Duration = .seconds(120), _ condition: @Sendable (JobSnapshot) -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + TestTime.scaled(timeout)
        while ContinuousClock.now < deadline {
            if condition(try snapshot(id)) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}

/// A logger that drops everything: the runner logs retries and stops as warnings.
let quietLogger = Logger(label: "runner-test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A configuration with short intervals, for tests.
func testConfiguration(
    workers: Int = 2, commitItems: Int = 32, maxTime: Duration? = nil, shutdownGrace: Duration = .seconds(2),
    maxItemFailures: UInt64 = 1000, maxRetries: Int = 3, holdPollInterval: Duration = .milliseconds(50)
) -> RunnerConfiguration {
    RunnerConfiguration(
        workers: workers, groupCommitItems: commitItems, groupCommitInterval: .milliseconds(20), maxTime: maxTime,
        shutdownGrace: shutdownGrace, maxItemFailures: maxItemFailures, maxRetries: maxRetries,
        retryBaseDelay: .milliseconds(5), holdPollInterval: holdPollInterval
    )
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// Adds one; returns the new value.
    @discardableResult
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }

    var current: Int { value.withLock { $0 } }
}

/// A gate that tasks wait at, ignoring cancellation, until it is opened.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let openNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if openNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var waiting: Int { state.withLock { $0.waiters.count } }
}

/// A record of the events a runner reported.
final class EventLog: Sendable {
    private let events = Mutex<[RunEvent]>([])

    func append(_ event: RunEvent) { events.withLock { $0.append(event) } }

    var all: [RunEvent] { events.withLock { $0 } }
}

struct HostError: Error, CustomStringConvertible {
    let description: String
}

extension RunReport {
    /// The outcome for `id`, when the run claimed it once.
    func outcome(of id: JobID) -> JobOutcome? {
        let matching = outcomes.filter { $0.0 == id }
        return matching.count == 1 ? matching[0].1 : nil
    }
}

/// Checks what every finished run of the host must satisfy: the tally committed each of
/// 1…n exactly once, the total is exact, and every item has its receipts.
func expectCompletedExactlyOnce(_ host: Host, _ id: JobID, n: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let job = try host.snapshot(id)
    #expect(job.status == .completed, sourceLocation: sourceLocation)
    #expect(job.phases.map(\.status) == [.completed, .completed], sourceLocation: sourceLocation)
    #expect(job.phases.map(\.processed) == [n, n], sourceLocation: sourceLocation)
    #expect(job.phases.map(\.total) == [n, n], sourceLocation: sourceLocation)
    #expect(job.itemsFailed == 0, sourceLocation: sourceLocation)
    #expect(job.lease == nil, "the lease is released", sourceLocation: sourceLocation)
    #expect(try host.total(id) == sumOfSquares(n), sourceLocation: sourceLocation)
    #expect(try host.duplicates(id) == 0, sourceLocation: sourceLocation)
    #expect(try host.seen(id) == Array(1...n), sourceLocation: sourceLocation)
    #expect(try host.receipts(id, phase: 0, n: n) == Int(n), sourceLocation: sourceLocation)
    #expect(try host.receipts(id, phase: 1, n: n) == Int(n), sourceLocation: sourceLocation)
    #expect(try host.store.failedItems(id).isEmpty, sourceLocation: sourceLocation)
    #expect(try host.store.queueLength(id, phase: 1) == 0, sourceLocation: sourceLocation)
}

/// Checks a job a run left paused with `reason`: consistent partial state, nothing twice.
func expectPausedConsistently(
    _ host: Host, _ id: JobID, reason: PauseReason, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let job = try host.snapshot(id)
    #expect(job.status == .running, sourceLocation: sourceLocation)
    #expect(job.lease == nil, "the lease is released", sourceLocation: sourceLocation)
    for (ordinal, phase) in job.phases.enumerated() where phase.status != .completed {
        #expect(phase.status == .paused, "phase \(ordinal)", sourceLocation: sourceLocation)
        #expect(phase.pauseReason == reason, "phase \(ordinal)", sourceLocation: sourceLocation)
    }
    // What the tally committed is exactly what its progress says, each item once, and the
    // total is the sum of exactly those squares.
    let seen = try host.seen(id)
    #expect(UInt64(seen.count) == job.phases[1].processed, sourceLocation: sourceLocation)
    #expect(try host.total(id) == seen.reduce(0) { $0 + $1 * $1 }, sourceLocation: sourceLocation)
    #expect(try host.duplicates(id) == 0, sourceLocation: sourceLocation)
    // Handed on but not yet tallied = waiting in the tally's queue.
    let waiting = try host.store.queueLength(id, phase: 1)
    #expect(UInt64(waiting) == job.phases[0].processed - job.phases[1].processed, sourceLocation: sourceLocation)
}

extension Runner {
    /// `run(stop:)` with a bound: a run still going after `limit` (× the ``TestTime`` scale)
    /// is recorded as hung and asked to stop. A deadlocked runner then fails its test instead
    /// of hanging the whole suite — a `.timeLimit` cannot end a task that waits forever.
    func boundedRun(
        stop: StopController = StopController(), limit: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> RunReport {
        let watchdog = Task {
            try await Task.sleep(for: TestTime.scaled(limit))
            Issue.record("the run did not end within \(limit); asking it to stop", sourceLocation: sourceLocation)
            stop.requestStop(.shutdown)
        }
        defer { watchdog.cancel() }
        return try await run(stop: stop)
    }
}

/// Runs 1…`n` through `fetch` and the tally on a fresh host, with two workers, `interval`,
/// an item bound no group reaches and `groupCommitBytes` at `bytesBound`; expects the job
/// completed with every item tallied exactly once.
func runToCompletion<Fetch: PhaseWorker>(
    _ fetch: Fetch, n: UInt64, bytesBound: Int, interval: Duration, sourceLocation: SourceLocation = #_sourceLocation
) async throws where Fetch.Output: Sendable {
    let host = try Host()
    let id = try host.submit("sized", n: n)
    var configuration = RunnerConfiguration(
        workers: 2, groupCommitItems: 10_000, groupCommitInterval: interval, shutdownGrace: .seconds(2)
    )
    configuration.groupCommitBytes = bytesBound
    let databases = host.databases
    let runner = Runner(
        store: host.store, configuration: configuration,
        factory: { _ in JobDefinition(source: NumberSource(), workers: [fetch, Tally(databases: databases)]) },
        logger: quietLogger
    )
    let report = try await runner.boundedRun(stop: StopController(), sourceLocation: sourceLocation)
    #expect(report.outcome(of: id) == .completed, sourceLocation: sourceLocation)
    try expectCompletedExactlyOnce(host, id, n: n, sourceLocation: sourceLocation)
}
