internal import Foundation
internal import GRDB
internal import IngestCore
internal import IngestPipeline
internal import IngestStore
internal import LMDBKit
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// The five ways of making a progress update durable that section 1 compares.
enum DurableVariant: String, CaseIterable, Codable, Sendable {
    /// `JobStore.recordProgress`: one LMDB write transaction (full sync) per update.
    case storePerUpdate = "store-per-update"
    /// Writers hand updates to a committer that writes a group in one `JobStore.write`.
    case storeGroup = "store-group"
    /// GRDB, WAL, synchronous=FULL, one transaction per update.
    case sqlitePerUpdate = "sqlite-per-update"
    /// GRDB, WAL, synchronous=FULL, groups written by the same committer as `storeGroup`.
    case sqliteGroup = "sqlite-group"
    /// pwrite(4 KiB) + fdatasync per update on a preallocated file: the physical limit.
    case rawFdatasync = "raw-fdatasync"

    var isGrouped: Bool { self == .storeGroup || self == .sqliteGroup }
}

/// One update handed to a committer: the writer waits on `done` until its group is durable.
struct PendingUpdate {
    let writer: Int
    let value: UInt64
    let done: DispatchSemaphore
}

/// A group committer with the runner's flush rule: a group is written once `maxItems`
/// updates are waiting, or `maxWaitNS` after the first of them arrived, whichever is first.
/// Each writer is acknowledged only after the group's transaction committed (synced).
final class GroupCommitQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [PendingUpdate] = []
    private var firstArrivalNS: UInt64 = 0
    private var closed = false
    private(set) var commits = 0
    /// The committer thread's time, summed over its commits: waiting for a group to gather,
    /// writing it (the transaction and its syncs), and waking its writers.
    private(set) var phaseNS = CommitterTime()
    let maxItems: Int
    let maxWaitNS: UInt64

    init(maxItems: Int, maxWaitNS: UInt64) {
        self.maxItems = max(1, maxItems)
        self.maxWaitNS = maxWaitNS
    }

    /// Hands in an update and returns once it is durable.
    func submit(writer: Int, value: UInt64, done: DispatchSemaphore) {
        condition.lock()
        if pending.isEmpty { firstArrivalNS = nowNS() }
        pending.append(PendingUpdate(writer: writer, value: value, done: done))
        if pending.count == 1 || pending.count >= maxItems { condition.broadcast() }
        condition.unlock()
        done.wait()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The committer's loop; returns after `close()` once nothing is pending.
    func runCommitter(_ flush: ([PendingUpdate]) throws -> Void) throws {
        while true {
            let gatherStart = nowNS()
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty && closed {
                condition.unlock()
                return
            }
            while pending.count < maxItems && !closed {
                let deadline = firstArrivalNS + maxWaitNS
                let now = nowNS()
                if now >= deadline { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
            }
            let group = pending
            pending = []
            condition.unlock()
            let writeStart = nowNS()
            try flush(group)
            commits += 1
            let acknowledgeStart = nowNS()
            for update in group { update.done.signal() }
            phaseNS.gather += Double(writeStart - gatherStart)
            phaseNS.write += Double(acknowledgeStart - writeStart)
            phaseNS.acknowledge += Double(nowNS() - acknowledgeStart)
        }
    }
}

/// Where a committer thread's time goes: gathering a group, writing it, waking its writers.
struct CommitterTime: Codable {
    var gather: Double = 0
    var write: Double = 0
    var acknowledge: Double = 0

    static func + (a: Self, b: Self) -> Self {
        Self(gather: a.gather + b.gather, write: a.write + b.write, acknowledge: a.acknowledge + b.acknowledge)
    }

    /// Each part divided by `count` (nanoseconds summed → µs per commit).
    func microsecondsPer(_ count: Int) -> Self {
        let scale = 1e-3 / Double(max(1, count))
        return Self(gather: gather * scale, write: write * scale, acknowledge: acknowledge * scale)
    }
}

/// A prepared target for one variant: how one update is made durable.
struct DurableTarget: Sendable {
    /// One durable update by `writer` (per-update variants).
    var perUpdate: @Sendable (_ writer: Int, _ value: UInt64) throws -> Void
    /// Writes a group in one transaction (grouped variants).
    var flushGroup: @Sendable (_ group: [(writer: Int, value: UInt64)]) throws -> Void
    /// Notes about how the target is configured (SQLite pragmas as read back).
    var notes: String
}

enum DurableSetup {
    static let jobs = 64

    static func jobIDs() -> [JobID] {
        (0..<jobs).map { try! JobID(validating: String(format: "writer-%02d", $0)) }
    }

    /// A fresh store with 64 pipeline jobs whose load phase runs, so progress can be recorded.
    static func store(at path: String) throws -> DurableTarget {
        let store = try JobStore.open(at: path)
        let ids = jobIDs()
        let settings = PipelineSettings().encoded()
        try store.write { batch in
            for id in ids {
                try batch.submit(id, source: "/bench/\(id)", plan: Pipeline.plan, settings: settings)
                try batch.transition(id, phase: 0, to: .running)
            }
        }
        return DurableTarget(
            perUpdate: { writer, value in
                try store.recordProgress(ids[writer % jobs], "load", processed: value)
            },
            flushGroup: { group in
                try store.write { batch in
                    for (writer, value) in group {
                        try batch.recordProgress(ids[writer % jobs], phase: 0, processed: value, total: nil)
                    }
                }
            },
            notes: "LMDB full sync (default EnvironmentOptions)"
        )
    }

    /// A fresh SQLite database in WAL mode with synchronous=FULL and the same 64 jobs × 4 phases.
    static func sqlite(at path: String) throws -> DurableTarget {
        try makeDirectory(path)
        let pool = try DatabasePool(path: path + "/bench.sqlite", configuration: Configuration())
        // GRDB sets synchronous=NORMAL on a WAL pool's connections; the writer connection
        // (the only one used here) is set back to FULL, and read back below.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let ids = jobIDs().map(\.rawValue)
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE jobs(id TEXT PRIMARY KEY, source TEXT NOT NULL, settings BLOB NOT NULL,
                                  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE phases(job TEXT NOT NULL, ordinal INTEGER NOT NULL, status INTEGER NOT NULL,
                                    processed INTEGER NOT NULL, total INTEGER, checkpoint BLOB,
                                    updated_at INTEGER, PRIMARY KEY(job, ordinal)) WITHOUT ROWID;
                """)
            let settings = Data(PipelineSettings().encoded())
            for id in ids {
                try db.execute(
                    sql: "INSERT INTO jobs VALUES (?, ?, ?, 0, 0)", arguments: [id, "/bench/\(id)", settings])
                for ordinal in 0..<4 {
                    try db.execute(
                        sql: "INSERT INTO phases VALUES (?, ?, ?, 0, NULL, NULL, 0)",
                        arguments: [id, ordinal, ordinal == 0 ? 1 : 0])
                }
            }
        }
        let (journal, synchronous) = try pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
        guard journal == "wal", synchronous == 2 else {
            throw BenchError("SQLite is not WAL + synchronous=FULL (journal_mode=\(journal), synchronous=\(synchronous))")
        }
        // The store's recordProgress refuses a phase that is not running; the SQL does the same check.
        let sql = "UPDATE phases SET processed = ?, updated_at = ? WHERE job = ? AND ordinal = 0 AND status = 1"
        @Sendable func apply(_ db: GRDB.Database, _ writer: Int, _ value: UInt64) throws {
            let statement = try db.cachedStatement(sql: sql)
            try statement.execute(arguments: [Int64(value), Int64(Date().timeIntervalSince1970 * 1000), ids[writer % jobs]])
            guard db.changesCount == 1 else { throw BenchError("the update changed \(db.changesCount) rows") }
        }
        return DurableTarget(
            perUpdate: { writer, value in try pool.write { db in try apply(db, writer, value) } },
            flushGroup: { group in
                try pool.write { db in
                    for (writer, value) in group { try apply(db, writer, value) }
                }
            },
            notes: "journal_mode=\(journal) synchronous=\(synchronous) (FULL), read back"
        )
    }

    /// A preallocated, synced file; each writer owns 16 slots of 4 KiB and rewrites them in turn.
    static func raw(at path: String) throws -> DurableTarget {
        try makeDirectory(path)
        let file = path + "/raw.bin"
        let fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(file)") }
        let size = jobs * 16 * 4096
        let zeros = [UInt8](repeating: 0, count: size)
        guard zeros.withUnsafeBytes({ pwrite(fd, $0.baseAddress, size, 0) }) == size, fsync(fd) == 0 else {
            throw BenchError("cannot preallocate \(file)")
        }
        let page = [UInt8](repeating: 0x5a, count: 4096)
        return DurableTarget(
            perUpdate: { writer, value in
                let offset = off_t(((writer % jobs) * 16 + Int(value % 16)) * 4096)
                let written = page.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, offset) }
                guard written == 4096, fdatasync(fd) == 0 else { throw BenchError("pwrite/fdatasync failed: errno \(errno)") }
            },
            flushGroup: { _ in throw BenchError("raw has no group variant") },
            notes: "pwrite 4 KiB + fdatasync on a preallocated \(size >> 20) MiB file"
        )
    }

    static func target(_ variant: DurableVariant, at path: String) throws -> DurableTarget {
        switch variant {
        case .storePerUpdate, .storeGroup: try store(at: path)
        case .sqlitePerUpdate, .sqliteGroup: try sqlite(at: path)
        case .rawFdatasync: try raw(at: path)
        }
    }
}

/// One row of section 1.
struct DurableRow: Codable {
    var variant: DurableVariant
    var writers: Int
    var measuredUpdates: Int
    var windowSeconds: Double
    var updatesPerSecond: Double
    var p50Microseconds: Double
    var p99Microseconds: Double
    var commits: Int?
    var meanGroupSize: Double?
    var groupMaxItems: Int?
    var groupMaxWaitMilliseconds: Double?
    var totalUpdates: Int
    /// /proc/self/io write_bytes per 1,000 updates (over the whole run, warm-up included).
    var processWriteBytesPer1k: Double
    /// Sectors written on the whole device per 1,000 updates: includes the file system's
    /// journal, and any other process writing to the disk at the time.
    var deviceWriteBytesPer1k: Double
    var notes: String
    var processWriteBytes: UInt64 = 0
    var deviceWriteBytes: UInt64 = 0
    /// updates/s of each round (the row's rate is their median).
    var roundRates: [Double] = []
    /// CPU time of the whole benchmark process (writers, committer, store or SQLite) per
    /// update, in µs: unlike the rates, barely touched by other processes' disk traffic.
    var cpuMicrosecondsPerUpdate: Double = 0
    var cpuSeconds: Double = 0
    /// Grouped variants: the committer thread's time summed over the row's commits (ns).
    var committerNanoseconds: CommitterTime?

    /// The committer thread's time per commit (µs).
    var committerMicrosecondsPerCommit: CommitterTime? {
        guard let committerNanoseconds, let commits else { return nil }
        return committerNanoseconds.microsecondsPer(commits)
    }
}

enum DurableBench {
    enum Length {
        /// Run for `warmup + window` seconds; measure acknowledgements inside the window.
        case timed(warmup: Double, window: Double)
        /// Exactly this many updates in all (for the strace runs).
        case count(Int)
    }

    /// Runs one variant with `writers` concurrent writer threads against a fresh target in `directory`.
    static func run(
        _ variant: DurableVariant, writers: Int, length: Length, directory: String, device: String?,
        groupItems: Int?, groupWaitMS: Double
    ) throws -> (row: DurableRow, latencies: [UInt64]) {
        removeTree(directory)
        let target = try DurableSetup.target(variant, at: directory)
        let queue: GroupCommitQueue? = variant.isGrouped
            ? GroupCommitQueue(maxItems: groupItems ?? writers, maxWaitNS: UInt64(groupWaitMS * 1e6)) : nil
        let stop = StopFlag()
        let samples = Locked<[(ack: UInt64, latency: UInt64)]>([])
        let failure = Locked<String?>(nil)
        let perWriter: Int? = if case .count(let total) = length { total / writers } else { nil }

        let processBefore = processWriteBytes(), deviceBefore = deviceWriteBytes(device)
        let cpuBefore = processCPUSeconds()
        let start = nowNS()
        let committerDone = DispatchSemaphore(value: 0)
        if let queue {
            let thread = Thread {
                do {
                    try queue.runCommitter { group in try target.flushGroup(group.map { ($0.writer, $0.value) }) }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                committerDone.signal()
            }
            thread.start()
        }
        let stopper: Thread? = if case .timed(let warmup, let window) = length {
            Thread {
                Thread.sleep(forTimeInterval: warmup + window)
                stop.set()
            }
        } else { nil }
        stopper?.start()
        runThreads(writers) { writer in
            var local: [(ack: UInt64, latency: UInt64)] = []
            local.reserveCapacity(4096)
            let done = DispatchSemaphore(value: 0)
            var value: UInt64 = 0
            while !stop.isSet {
                if let perWriter, local.count >= perWriter { break }
                value += 1
                let begin = nowNS()
                do {
                    if let queue {
                        queue.submit(writer: writer, value: value, done: done)
                    } else {
                        try target.perUpdate(writer, value)
                    }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    stop.set()
                    break
                }
                let end = nowNS()
                local.append((end, end - begin))
            }
            let mine = local
            samples.withLock { $0.append(contentsOf: mine) }
        }
        if let queue {
            queue.close()
            committerDone.wait()
        }
        let end = nowNS()
        let cpu = processCPUSeconds() - cpuBefore
        let processAfter = processWriteBytes(), deviceAfter = deviceWriteBytes(device)
        if let message = failure.value { throw BenchError("\(variant.rawValue) W=\(writers): \(message)") }

        let all = samples.value
        let windowStart: UInt64, windowEnd: UInt64
        switch length {
        case .timed(let warmup, let window):
            windowStart = start + UInt64(warmup * 1e9)
            windowEnd = windowStart + UInt64(window * 1e9)
        case .count:
            windowStart = start
            windowEnd = end
        }
        let inWindow = all.filter { $0.ack >= windowStart && $0.ack < windowEnd }
        let latencies = inWindow.map(\.latency)
        let windowSeconds = seconds(windowEnd - windowStart)
        let total = max(1, all.count)
        let row = DurableRow(
            variant: variant, writers: writers, measuredUpdates: inWindow.count, windowSeconds: windowSeconds,
            updatesPerSecond: Double(inWindow.count) / windowSeconds,
            p50Microseconds: Double(quantile(latencies, 0.5)) / 1000, p99Microseconds: Double(quantile(latencies, 0.99)) / 1000,
            commits: queue?.commits, meanGroupSize: queue.map { Double(all.count) / Double(max(1, $0.commits)) },
            groupMaxItems: queue?.maxItems, groupMaxWaitMilliseconds: queue.map { Double($0.maxWaitNS) / 1e6 },
            totalUpdates: all.count,
            processWriteBytesPer1k: Double(processAfter - processBefore) * 1000 / Double(total),
            deviceWriteBytesPer1k: Double(deviceAfter &- deviceBefore) * 1000 / Double(total),
            notes: target.notes, processWriteBytes: processAfter - processBefore, deviceWriteBytes: deviceAfter &- deviceBefore,
            roundRates: [Double(inWindow.count) / windowSeconds],
            cpuMicrosecondsPerUpdate: cpu * 1e6 / Double(total), cpuSeconds: cpu,
            committerNanoseconds: queue?.phaseNS
        )
        return (row, latencies)
    }

    /// Merges the rounds of one (variant, W) cell: the median rate, percentiles over all samples.
    static func merge(_ rounds: [(row: DurableRow, latencies: [UInt64])]) -> DurableRow {
        var row = rounds[0].row
        let latencies = rounds.flatMap(\.latencies)
        let rates = rounds.map(\.row.updatesPerSecond)
        row.roundRates = rates
        row.updatesPerSecond = median(rates)
        row.measuredUpdates = rounds.reduce(0) { $0 + $1.row.measuredUpdates }
        row.windowSeconds = rounds.reduce(0) { $0 + $1.row.windowSeconds }
        row.totalUpdates = rounds.reduce(0) { $0 + $1.row.totalUpdates }
        row.p50Microseconds = Double(quantile(latencies, 0.5)) / 1000
        row.p99Microseconds = Double(quantile(latencies, 0.99)) / 1000
        if row.commits != nil {
            let commits = rounds.reduce(0) { $0 + ($1.row.commits ?? 0) }
            row.commits = commits
            row.meanGroupSize = Double(row.totalUpdates) / Double(max(1, commits))
            row.committerNanoseconds = rounds.compactMap(\.row.committerNanoseconds).reduce(CommitterTime(), +)
        }
        row.cpuSeconds = rounds.reduce(0) { $0 + $1.row.cpuSeconds }
        row.cpuMicrosecondsPerUpdate = row.cpuSeconds * 1e6 / Double(max(1, row.totalUpdates))
        row.processWriteBytes = rounds.reduce(0) { $0 + $1.row.processWriteBytes }
        row.deviceWriteBytes = rounds.reduce(0) { $0 &+ $1.row.deviceWriteBytes }
        row.processWriteBytesPer1k = Double(row.processWriteBytes) * 1000 / Double(max(1, row.totalUpdates))
        row.deviceWriteBytesPer1k = Double(row.deviceWriteBytes) * 1000 / Double(max(1, row.totalUpdates))
        return row
    }

    /// The grouped rows' committer time per commit: what a group's round trip is made of.
    static func committerTableText(_ rows: [DurableRow]) -> String {
        table(
            ["variant", "W", "µs per commit", "gathering the group", "writing it (transaction, syncs)", "waking its writers"],
            rows.compactMap { row in
                guard let time = row.committerMicrosecondsPerCommit else { return nil }
                return [
                    row.variant.rawValue, String(row.writers), fmtInt(time.gather + time.write + time.acknowledge),
                    fmtInt(time.gather), fmtInt(time.write), fmtInt(time.acknowledge),
                ]
            }
        )
    }

    static func tableText(_ rows: [DurableRow]) -> String {
        table(
            ["variant", "W", "updates/s (median)", "rounds min–max", "p50 µs", "p99 µs", "group", "CPU µs/update", "KiB written/1k (proc)", "KiB/1k (device)"],
            rows.map { row in
                [
                    row.variant.rawValue, String(row.writers), fmtInt(row.updatesPerSecond),
                    "\(fmtInt(row.roundRates.min() ?? .nan))–\(fmtInt(row.roundRates.max() ?? .nan))",
                    fmtInt(row.p50Microseconds), fmtInt(row.p99Microseconds),
                    row.meanGroupSize.map { fmt($0) } ?? "1", fmt(row.cpuMicrosecondsPerUpdate, 1),
                    fmtInt(row.processWriteBytesPer1k / 1024), fmtInt(row.deviceWriteBytesPer1k / 1024),
                ]
            }
        )
    }
}
