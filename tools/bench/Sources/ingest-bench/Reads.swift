internal import Foundation
internal import IngestCore
internal import IngestPipeline
internal import IngestStore
internal import LMDBKit

#if canImport(Glibc)
internal import Glibc
#endif

/// Fills stores fast: many jobs per write transaction, through `StoreBatch`.
enum StoreFill {
    static func completedID(_ index: Int) -> JobID { try! JobID(validating: String(format: "done-%07d", index)) }
    static func interruptedID(_ index: Int) -> JobID { try! JobID(validating: String(format: "open-%07d", index)) }

    /// A runner of this boot that is gone: its pid is above any pid in use and its start time is wrong,
    /// so its lease reads as dead — the job is `interrupted`, as after a `kill -9`.
    static func deadRunner() -> RunnerIdentity {
        let boot = ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return RunnerIdentity(bootID: boot, pid: 4_194_000, startTicks: 1)
    }

    /// Creates `completed` finished pipeline jobs (every phase completed, with the journal
    /// lines a real run leaves) and `interrupted` jobs whose load phase is running under the
    /// lease of a dead runner, over `interruptedSource`.
    /// - Returns: Seconds spent.
    @discardableResult
    static func fill(
        at path: String, completed: Int, interrupted: Int, interruptedSource: String, perTransaction: Int = 5000
    ) throws -> Double {
        let start = nowNS()
        let store = try JobStore.open(at: path, options: EnvironmentOptions(mapSize: 256 << 20))
        _ = try PipelineStore(store)
        let settings = PipelineSettings().encoded()
        let dead = deadRunner()
        var next = 0
        while next < completed {
            let upper = min(completed, next + perTransaction)
            try store.write { batch in
                for index in next..<upper {
                    let id = completedID(index)
                    try batch.submit(id, source: "/data/corpus/\(index)", plan: Pipeline.plan, settings: settings)
                    _ = try batch.change(id) { _, phases, events in
                        for ordinal in phases.indices {
                            phases[ordinal] = Transitions.applying(.running, to: phases[ordinal], reason: nil, error: nil, at: batch.now)
                            events.append(.transition(phase: ordinal, from: .notStarted, to: .running, reason: nil, error: nil))
                            phases[ordinal].processed = UInt64(12 + ordinal * 40)
                            phases[ordinal].total = phases[ordinal].processed
                            phases[ordinal] = Transitions.applying(.completed, to: phases[ordinal], reason: nil, error: nil, at: batch.now)
                            events.append(.transition(phase: ordinal, from: .running, to: .completed, reason: nil, error: nil))
                        }
                    }
                }
            }
            next = upper
        }
        next = 0
        while next < interrupted {
            let upper = min(interrupted, next + perTransaction)
            try store.write { batch in
                for index in next..<upper {
                    let id = interruptedID(index)
                    try batch.submit(id, source: interruptedSource, plan: Pipeline.plan, settings: settings)
                    guard case .claimed = try batch.claim(id, for: dead) else { throw BenchError("cannot claim \(id)") }
                    try batch.transition(id, phase: 0, to: .running)
                }
            }
            next = upper
        }
        return seconds(nowNS() - start)
    }
}

struct PointReadRow: Codable {
    var jobs: Int
    var kind: String
    var reads: Int
    var medianNanoseconds: Double
    var p99Nanoseconds: Double
}

struct CLIReadRow: Codable {
    var jobs: Int
    var command: String
    var runs: Int
    var medianMilliseconds: Double
    var minMilliseconds: Double
    var outputBytes: Int
    /// VmHWM sampled every 5 ms while the process ran (a process shorter than that may show 0).
    var peakRSSMiB: Double
}

struct FillRow: Codable {
    var jobs: Int
    var seconds: Double
    var jobsPerSecond: Double
    var dataFileMiB: Double
}

enum ReadsBench {
    /// Point reads of a job's full state (`JobStore.job`), each timed on its own.
    static func pointReads(store: JobStore, ids: [JobID], reads: Int) throws -> (median: Double, p99: Double) {
        var generator = SplitMix64(seed: 42)
        var samples: [UInt64] = []
        samples.reserveCapacity(reads)
        // Warm up: fault the pages in.
        for id in ids.prefix(1000) { _ = try store.job(id) }
        for _ in 0..<reads {
            let id = ids[Int(generator.next() % UInt64(ids.count))]
            let begin = nowNS()
            let snapshot = try store.job(id)
            let end = nowNS()
            guard snapshot != nil else { throw BenchError("job \(id) not found") }
            samples.append(end - begin)
        }
        return (Double(quantile(samples, 0.5)), Double(quantile(samples, 0.99)))
    }

    static func cli(_ arguments: [String], runs: Int, jobs: Int, label: String) throws -> CLIReadRow {
        var times: [Double] = []
        var bytes = 0
        var peak = 0
        for _ in 0..<runs {
            let child = try ChildProcess(arguments)
            let sampler = MemorySampler(pid: child.pid, intervalMicroseconds: 5000)
            let result = child.finish()
            let peaks = sampler.stop()
            guard result.exit.status == 0 else {
                throw BenchError("\(arguments.joined(separator: " ")) exited \(result.exit.status): \(result.stderr)")
            }
            times.append(Double(result.exit.wallNS) / 1e6)
            bytes = result.stdoutBytes
            peak = max(peak, Int(peaks.hwmKiB))
        }
        return CLIReadRow(
            jobs: jobs, command: label, runs: runs, medianMilliseconds: median(times),
            minMilliseconds: times.min() ?? .nan, outputBytes: bytes, peakRSSMiB: Double(peak) / 1024
        )
    }

    static func run(sizes: [Int], dataDir: String, ingest: String, quick: Bool) throws -> (fills: [FillRow], points: [PointReadRow], cli: [CLIReadRow]) {
        var fills: [FillRow] = [], points: [PointReadRow] = [], cliRows: [CLIReadRow] = []
        for size in sizes {
            let path = "\(dataDir)/reads-\(size)"
            removeTree(path)
            // 1% of the jobs are interrupted (running under a dead runner's lease), the rest completed.
            let interrupted = max(1, size / 100)
            let fillSeconds = try StoreFill.fill(
                at: path, completed: size - interrupted, interrupted: interrupted, interruptedSource: "/data/corpus/open")
            let dataBytes = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? NSNumber)??.doubleValue ?? 0
            fills.append(FillRow(jobs: size, seconds: fillSeconds, jobsPerSecond: Double(size) / fillSeconds, dataFileMiB: dataBytes / 1_048_576))
            log("reads: filled \(size) jobs in \(fmt(fillSeconds, 2)) s")
            do {
                let store = try JobStore.open(at: path, mode: .readOnly)
                let completedIDs = (0..<(size - interrupted)).map(StoreFill.completedID)
                let openIDs = (0..<interrupted).map(StoreFill.interruptedID)
                let reads = quick ? 100_000 : 300_000
                let done = try pointReads(store: store, ids: completedIDs, reads: reads)
                points.append(PointReadRow(jobs: size, kind: "completed job (no lease)", reads: reads, medianNanoseconds: done.median, p99Nanoseconds: done.p99))
                let leased = try pointReads(store: store, ids: openIDs, reads: reads / 10)
                points.append(PointReadRow(jobs: size, kind: "interrupted job (dead lease, remembered after its first /proc read)", reads: reads / 10, medianNanoseconds: leased.median, p99Nanoseconds: leased.p99))
            }
            let runs = quick ? 5 : 11
            let someID = StoreFill.completedID((size - interrupted) / 2).rawValue
            cliRows.append(try cli([ingest, "status", someID, "--json", "--store", path], runs: runs, jobs: size, label: "ingest status ID --json"))
            cliRows.append(try cli([ingest, "list", "--json", "--store", path], runs: size >= 100_000 && quick ? 3 : runs, jobs: size, label: "ingest list --json"))
            cliRows.append(try cli([ingest, "list", "--status", "running", "--json", "--store", path], runs: runs, jobs: size, label: "ingest list --status running --json"))
            log("reads: \(size) jobs measured")
        }
        return (fills, points, cliRows)
    }
}

/// A small, fast, seeded generator (SplitMix64): the same seed gives the same corpus everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
