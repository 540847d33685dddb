import ArgumentParser
import Foundation
import IngestStore
import LMDBKit

@main
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-bench",
        abstract: "Benchmarks for ResumableIngest (issue 4): durable updates, reads, resume, ingestion.",
        subcommands: [Suite.self, Syncs.self, DurableChild.self, ProfileReads.self],
        defaultSubcommand: Suite.self
    )
}

enum Mode: String, EnumerableFlag, Codable {
    case quick, full
}

/// Where the `ingest` binary is: `--ingest`, else next to this executable (built by
/// `swift build -c release --product ingest` in tools/bench), else the main repo's release build.
func locateIngest(_ given: String?) throws -> String {
    if let given { return given }
    let me = selfExecutable()
    let sibling = (me as NSString).deletingLastPathComponent + "/ingest"
    if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
    var directory = (me as NSString).deletingLastPathComponent
    while directory != "/" {
        let candidate = directory + "/.build/release/ingest"
        if FileManager.default.fileExists(atPath: directory + "/Sources/ingest"), FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        directory = (directory as NSString).deletingLastPathComponent
    }
    throw ValidationError("no release `ingest` binary found; build it (`swift build -c release --product ingest`) or pass --ingest PATH")
}

struct TargetCheck: Codable {
    var target: String
    var measured: String
    var met: Bool?
    var note: String
}

struct Report: Codable {
    var mode: Mode
    var machine: Machine
    var command: String
    var ingestBinary: String
    var startedAt: String
    var totalSeconds: Double = 0
    var loadAverageAtEnd: String = ""
    var durable: [DurableRow] = []
    var fills: [FillRow] = []
    var pointReads: [PointReadRow] = []
    var cliReads: [CLIReadRow] = []
    var resume: [ResumeRow] = []
    var resumeIndexScans: [IndexScanRow] = []
    var ingestion: [IngestRow] = []
    var scaling: [ScalingBench.Row] = []
    var targets: [TargetCheck] = []
}

struct Suite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the benchmarks (the default command).")

    @Flag(help: "quick: under 5 minutes on 2 cores; full: longer windows, bigger corpora (100 MB and 1 GB).")
    var mode: Mode = .quick

    @Option(help: "Data directory (default: a new directory under /tmp). Stores and corpora are made here.")
    var dir: String?

    @Option(help: "Write the results as JSON here.")
    var json: String?

    @Option(help: "The release `ingest` binary.")
    var ingest: String?

    @Option(help: "Sections to run, comma-separated: durable, reads, resume, ingest, scaling.")
    var only: String = "durable,reads,resume,ingest,scaling"

    @Option(help: "Group commit: flush after this many updates (default: the writer count W).")
    var groupItems: Int?

    @Option(help: "Group commit: or this many milliseconds after the first waiting update.")
    var groupWaitMs: Double = 5

    @Option(help: "Trials per store size in the resume section (default: quick 21, full 31; five were too few to tell a 20% difference on a busy machine).")
    var resumeTrials: Int?

    @Option(help: "Generated corpus sizes in MB, comma-separated (default: quick 4,16; full 100,1000).")
    var corpusMb: String?

    @Option(help: "Ingestion runs per side on corpora under 200 MiB (default: 3; 9 on corpora under 32 MiB, whose runs last under a second).")
    var repeats: Int?

    @Flag(help: "Keep the data directory afterwards.")
    var keep = false

    func run() async throws {
        let sections = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let dataDir = dir ?? NSTemporaryDirectory() + "ingest-bench-\(getpid())"
        try makeDirectory(dataDir)
        let quick = mode == .quick
        let ingestBinary = try locateIngest(ingest)
        let machine = Machine.current(dataDirectory: (dataDir as NSString).standardizingPath)
        var report = Report(
            mode: mode, machine: machine, command: CommandLine.arguments.joined(separator: " "),
            ingestBinary: ingestBinary, startedAt: ISO8601DateFormatter().string(from: Date())
        )
        let start = nowNS()
        print(machine.summary)
        print("ingest binary: \(ingestBinary)\n")

        if sections.contains("durable") {
            // Rounds interleave every (variant, W) cell, so a burst of background disk load
            // hits all of them alike; a cell's rate is the median of its rounds.
            let (warmup, window, rounds) = quick ? (0.2, 1.0, 3) : (0.5, 3.0, 5)
            var cells: [String: [(row: DurableRow, latencies: [UInt64])]] = [:]
            for round in 1...rounds {
                for variant in DurableVariant.allCases {
                    for writers in [1, 4, 16, 64] {
                        let result = try DurableBench.run(
                            variant, writers: writers, length: .timed(warmup: warmup, window: window),
                            directory: "\(dataDir)/durable-\(variant.rawValue)", device: machine.blockDevice,
                            groupItems: groupItems, groupWaitMS: groupWaitMs
                        )
                        log("durable round \(round): \(variant.rawValue) W=\(writers): \(fmtInt(result.row.updatesPerSecond))/s p99 \(fmtInt(result.row.p99Microseconds)) µs")
                        cells["\(variant.rawValue)/\(writers)", default: []].append(result)
                    }
                    removeTree("\(dataDir)/durable-\(variant.rawValue)")
                }
            }
            for variant in DurableVariant.allCases {
                for writers in [1, 4, 16, 64] {
                    if let results = cells["\(variant.rawValue)/\(writers)"] { report.durable.append(DurableBench.merge(results)) }
                }
            }
            print("1. Durable progress updates (each acknowledged once synced; \(rounds) rounds × \(window) s window after \(warmup) s warm-up)")
            print(DurableBench.tableText(report.durable) + "\n")
            print("The committer thread of the grouped rows, per commit (µs, over all rounds)")
            print(DurableBench.committerTableText(report.durable) + "\n")
        }

        if sections.contains("reads") {
            let (fills, points, cli) = try ReadsBench.run(sizes: [1000, 10_000, 100_000], dataDir: dataDir, ingest: ingestBinary, quick: quick)
            report.fills = fills
            report.pointReads = points
            report.cliReads = cli
            print("2. Reads")
            print(table(["jobs", "fill s", "jobs/s filled", "data.mdb MiB"], fills.map { [fmtInt(Double($0.jobs)), fmt($0.seconds, 2), fmtInt($0.jobsPerSecond), fmt($0.dataFileMiB)] }))
            print()
            print(table(["jobs", "point read", "reads", "median ns", "p99 ns"], points.map { [fmtInt(Double($0.jobs)), $0.kind, fmtInt(Double($0.reads)), fmtInt($0.medianNanoseconds), fmtInt($0.p99Nanoseconds)] }))
            print()
            print(table(["jobs", "command (whole process)", "runs", "median ms", "min ms", "stdout bytes", "VmHWM MiB (sampled)"], cli.map { [fmtInt(Double($0.jobs)), $0.command, String($0.runs), fmt($0.medianMilliseconds), fmt($0.minMilliseconds), fmtInt(Double($0.outputBytes)), fmt($0.peakRSSMiB)] }))
            print()
            if !keep { for size in [1000, 10_000, 100_000] { removeTree("\(dataDir)/reads-\(size)") } }
        }

        if sections.contains("resume") {
            let (rows, scans) = try await ResumeBench.run(
                completedSizes: [100_000, 10_000], interrupted: 1000, dataDir: dataDir, ingest: ingestBinary, trials: resumeTrials ?? (quick ? 21 : 31))
            report.resume = rows
            report.resumeIndexScans = scans
            print("3. Resume at scale (1,000 interrupted jobs among many completed)")
            print(table(["completed", "how", "trials", "to open ms", "to claim ms", "to first item ms", "min ms"], rows.map { [fmtInt(Double($0.completedJobs)), $0.how, String($0.trials), $0.medianToOpenMilliseconds.map { fmt($0) } ?? "–", fmt($0.medianToClaimMilliseconds), fmt($0.medianToFirstItemMilliseconds), fmt($0.minToFirstItemMilliseconds)] }))
            print()
            print(table(["completed", "interrupted", "active ids (by_status) µs", "all ids (jobs scan) µs"], scans.map { [fmtInt(Double($0.completedJobs)), fmtInt(Double($0.interruptedJobs)), fmt($0.activeIDsMedianMicroseconds), fmt($0.allIDsMedianMicroseconds)] }))
            print()
            if !keep { for size in [100_000, 10_000] { removeTree("\(dataDir)/resume-\(size)") } }
        }

        if sections.contains("ingest") {
            let sizes = (corpusMb ?? (quick ? "4,16" : "100,1000")).split(separator: ",").compactMap { Int($0) }
            // The main generated corpus (quick: the largest, full: the smallest) and the real tree get
            // the whole matrix; other sizes get one `ingest run --workers 2` for the memory comparison.
            let main = quick ? sizes.max() : sizes.min()
            var plans: [(source: IngestBenchSection.Source, cliWorkers: [Int], inProcessWorkers: [Int])] = []
            let matrix = (cli: [1, 2], inProcess: quick ? [2] : [1, 2])
            for megabytes in sizes {
                let path = "\(dataDir)/corpus-\(megabytes)MB"
                let begin = nowNS()
                let (files, bytes) = try Corpus.generate(at: path, totalBytes: megabytes * 1_000_000, seed: 20_240_604)
                log("ingest: corpus \(megabytes) MB: \(files) files, made in \(fmt(seconds(nowNS() - begin), 1)) s")
                let source = IngestBenchSection.Source(name: "generated \(megabytes) MB", path: path, include: [], files: files, bytes: bytes)
                plans.append(megabytes == main ? (source, matrix.cli, matrix.inProcess) : (source, [2], []))
            }
            if let real = Corpus.realTree() {
                let (files, bytes) = Corpus.measure(real.path, suffixes: real.include.map { String($0.dropFirst()) })
                let source = IngestBenchSection.Source(
                    name: real.path + (real.include.isEmpty ? "" : " " + real.include.joined(separator: ",")), path: real.path,
                    include: real.include, files: files, bytes: bytes)
                plans.append((source, matrix.cli, matrix.inProcess))
            }
            for (source, cliWorkers, inProcessWorkers) in plans {
                let store = "\(dataDir)/ingest-store"
                // Runs of a few seconds swing with the machine's load more than the 10% that
                // full sync may cost, or than one worker's share: repeat them, the sides of a
                // comparison taking turns, and keep each side's median run. Runs under a
                // second (the real tree, the small generated corpora) differ between the sides
                // by tens of milliseconds and within one side by as much: they get nine. The
                // 1 GB run is long enough on its own.
                let repeats = source.mib >= 200 ? 1 : max(1, self.repeats ?? (source.mib < 32 ? 9 : 3))
                var cliRuns: [[IngestRow]] = cliWorkers.map { _ in [] }
                for _ in 0..<repeats {
                    for (side, workers) in cliWorkers.enumerated() {
                        let row = try IngestBenchSection.cli(source, ingest: ingestBinary, workers: workers, storePath: store, device: machine.blockDevice)
                        log("ingest: \(source.name) cli w\(workers): \(fmt(row.mibPerSecond, 2)) MiB/s, peak anon \(fmt(row.peakRssAnonMiB ?? 0)) MiB")
                        cliRuns[side].append(row)
                    }
                }
                for side in cliRuns where !side.isEmpty {
                    var median = side.sorted { $0.seconds < $1.seconds }[side.count / 2]
                    median.runs = side.count
                    // Memory is a bound, not a rate: the highest peak of the repeats.
                    median.peakRssAnonMiB = side.compactMap(\.peakRssAnonMiB).max()
                    median.peakRssFileMiB = side.compactMap(\.peakRssFileMiB).max()
                    report.ingestion.append(median)
                }
                for workers in inProcessWorkers {
                    let sides = IngestBenchSection.Sync.allCases
                    var runs: [[IngestRow]] = sides.map { _ in [] }
                    for _ in 0..<repeats {
                        for (side, sync) in sides.enumerated() {
                            let row = try await IngestBenchSection.inProcess(source, workers: workers, sync: sync, storePath: store, device: machine.blockDevice)
                            log("ingest: \(source.name) in-process \(row.durability) w\(workers): \(fmt(row.mibPerSecond, 2)) MiB/s")
                            runs[side].append(row)
                        }
                    }
                    for side in runs {
                        var median = side.sorted { $0.seconds < $1.seconds }[side.count / 2]
                        median.runs = side.count
                        report.ingestion.append(median)
                    }
                }
                removeTree(store)
            }
            print("4. End-to-end ingestion (load → chunk → embed → index; corpus files in the page cache)")
            print(IngestBenchSection.tableText(report.ingestion) + "\n")
        }

        if sections.contains("scaling") {
            report.scaling = try await ScalingBench.run(items: quick ? 3000 : 10_000, dataDir: dataDir)
            print("5. Runner scaling: a host job whose work is the cost (about 1 ms of CPU per item), full sync")
            print(ScalingBench.tableText(report.scaling) + "\n")
        }

        report.totalSeconds = seconds(nowNS() - start)
        report.loadAverageAtEnd = loadAverage()
        report.targets = Targets.evaluate(report)
        print("Targets (issue 4)")
        print(table(["target", "measured", "met"], report.targets.map { [$0.target, $0.measured, $0.met.map { $0 ? "yes" : "NO" } ?? "n/a"] }))
        for check in report.targets where !check.note.isEmpty { print("  - \(check.target): \(check.note)") }
        print("\ntotal \(fmt(report.totalSeconds, 1)) s; load average at end \(report.loadAverageAtEnd)")

        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
        if !keep && dir == nil { removeTree(dataDir) }
    }
}

enum Targets {
    static func evaluate(_ report: Report) -> [TargetCheck] {
        var checks: [TargetCheck] = []
        func rate(_ variant: DurableVariant, _ writers: Int) -> DurableRow? {
            report.durable.first { $0.variant == variant && $0.writers == writers }
        }
        if let group = rate(.storeGroup, 64), let per = rate(.storePerUpdate, 64), let per1 = rate(.storePerUpdate, 1) {
            let ratio = group.updatesPerSecond / per.updatesPerSecond
            checks.append(TargetCheck(
                target: "group commit W=64 ≥ 20× store per-update", measured: "\(fmt(ratio))× (\(fmtInt(group.updatesPerSecond)) vs \(fmtInt(per.updatesPerSecond))/s; vs W=1 per-update \(fmt(group.updatesPerSecond / per1.updatesPerSecond))×)",
                met: ratio >= 20, note: ""))
        }
        if let group = rate(.storeGroup, 64), let sqlite = rate(.sqlitePerUpdate, 64) {
            let ratio = group.updatesPerSecond / sqlite.updatesPerSecond
            checks.append(TargetCheck(
                target: "group commit W=64 ≥ 3× SQLite WAL FULL per-update", measured: "\(fmt(ratio))× (\(fmtInt(group.updatesPerSecond)) vs \(fmtInt(sqlite.updatesPerSecond))/s)",
                met: ratio >= 3, note: ""))
        }
        for writers in [4, 16, 64] {
            if let store = rate(.storeGroup, writers), let sqlite = rate(.sqliteGroup, writers) {
                let ratio = store.updatesPerSecond / sqlite.updatesPerSecond
                checks.append(TargetCheck(
                    target: "equal batching W=\(writers): store ≥ 2× SQLite", measured: "\(fmt(ratio, 2))× (\(fmtInt(store.updatesPerSecond)) vs \(fmtInt(sqlite.updatesPerSecond))/s)",
                    met: writers == 64 ? ratio >= 2 : nil, note: ""))
            }
        }
        if let store = rate(.storePerUpdate, 1), let raw = rate(.rawFdatasync, 1) {
            let ratio = store.p99Microseconds / raw.p99Microseconds
            checks.append(TargetCheck(
                target: "W=1 per-update p99 ≤ 3× raw fdatasync p99", measured: "\(fmt(ratio, 2))× (\(fmtInt(store.p99Microseconds)) vs \(fmtInt(raw.p99Microseconds)) µs; p50 \(fmtInt(store.p50Microseconds)) vs \(fmtInt(raw.p50Microseconds)) µs)",
                met: ratio <= 3, note: ""))
        }
        if let point = report.pointReads.first(where: { $0.jobs == 100_000 && $0.kind.hasPrefix("completed") }) {
            checks.append(TargetCheck(
                target: "point read median < 5 µs (100k store)", measured: "\(fmtInt(point.medianNanoseconds)) ns",
                met: point.medianNanoseconds < 5000, note: ""))
        }
        if let leased = report.pointReads.first(where: { $0.jobs == 100_000 && $0.kind.hasPrefix("interrupted") }) {
            checks.append(TargetCheck(
                target: "point read of a leased job median < 5 µs", measured: "\(fmtInt(leased.medianNanoseconds)) ns",
                met: leased.medianNanoseconds < 5000, note: "a dead runner's liveness is read from /proc once, then remembered"))
        }
        if let list = report.cliReads.first(where: { $0.jobs == 100_000 && $0.command == "ingest list --json" }) {
            checks.append(TargetCheck(
                target: "`ingest list --json` of 100k < 1 s", measured: "\(fmt(list.medianMilliseconds, 0)) ms (median of \(list.runs))",
                met: list.medianMilliseconds < 1000, note: ""))
        }
        for how in ["cli", "in-process"] {
            let rows = report.resume.filter { $0.how.hasPrefix(how) }
            if let big = rows.first(where: { $0.completedJobs == 100_000 }), let small = rows.first(where: { $0.completedJobs == 10_000 }) {
                let bigValue = how == "cli" ? big.medianToClaimMilliseconds : big.medianToFirstItemMilliseconds
                let smallValue = how == "cli" ? small.medianToClaimMilliseconds : small.medianToFirstItemMilliseconds
                let label = how == "cli" ? "process start → first job resumed (claimed)" : "store open → first item"
                checks.append(TargetCheck(
                    target: "resume \(how): \(label) < 100 ms with 100k", measured: "\(fmt(bigValue)) ms",
                    met: bigValue < 100, note: how == "cli" ? "the first item follows the claim; the first resumed job (3 files, 4 phases) ends at \(fmt(big.medianToFirstItemMilliseconds)) ms" : ""))
                checks.append(TargetCheck(
                    target: "resume \(how): 100k within 20% of 10k", measured: "\(fmt(bigValue)) vs \(fmt(smallValue)) ms (\(fmt((bigValue / smallValue - 1) * 100, 0))%)",
                    met: bigValue <= smallValue * 1.2, note: ""))
            }
        }
        let inProcess = report.ingestion.filter { $0.how == "in-process" }
        for corpus in Set(inProcess.map(\.corpus)).sorted() {
            for workers in [1, 2] {
                if let full = inProcess.first(where: { $0.corpus == corpus && $0.workers == workers && $0.durability == "full" }),
                    let nosync = inProcess.first(where: { $0.corpus == corpus && $0.workers == workers && $0.durability == "nosync" }) {
                    let cost = 1 - full.mibPerSecond / nosync.mibPerSecond
                    // NOSYNC never writes the store within a short run; a run that ends durable
                    // must write it at least once. That floor, beside the cost, shows how much
                    // of the cost is the per-commit syncs and how much the device's write time.
                    let floor = inProcess.first { $0.corpus == corpus && $0.workers == workers && $0.durability == IngestBenchSection.Sync.nosyncThenSync.rawValue }
                        .map { "NOSYNC + one sync at the end (the store written once) costs \(fmt((1 - $0.mibPerSecond / nosync.mibPerSecond) * 100, 1))%" }
                    checks.append(TargetCheck(
                        target: "full sync ≤ 10% cost vs NOSYNC (\(corpus), w\(workers))", measured: "\(fmt(cost * 100, 1))% (\(fmt(full.mibPerSecond, 2)) vs \(fmt(nosync.mibPerSecond, 2)) MiB/s)",
                        met: cost <= 0.10, note: floor ?? ""))
                }
            }
        }
        let cli = report.ingestion.filter { $0.how == "cli" }
        for corpus in Set(cli.map(\.corpus)).sorted() {
            if let one = cli.first(where: { $0.corpus == corpus && $0.workers == 1 }), let two = cli.first(where: { $0.corpus == corpus && $0.workers == 2 }) {
                let ratio = two.mibPerSecond / one.mibPerSecond
                checks.append(TargetCheck(
                    target: "2 workers ≥ 1.6× one (\(corpus))", measured: "\(fmt(ratio, 2))× (\(fmt(two.mibPerSecond, 2)) vs \(fmt(one.mibPerSecond, 2)) MiB/s; cores used \(fmt(one.coresUsed, 2)) → \(fmt(two.coresUsed, 2)))",
                    met: ratio >= 1.6,
                    // The writer thread and the fetchers run beside the one worker; what they
                    // leave of the machine's cores caps what a second worker can add.
                    note: "one worker already uses \(fmt(one.coresUsed, 2)) cores; on \(report.machine.cores) cores two can give at most \(fmt(Double(report.machine.cores) / one.coresUsed, 2))×"))
            }
        }
        if let one = report.scaling.first(where: { $0.workers == 1 }), let two = report.scaling.first(where: { $0.workers == 2 }) {
            let ratio = two.itemsPerSecond / one.itemsPerSecond
            checks.append(TargetCheck(
                target: "2 workers ≥ 1.6× one (runner, work-bound host job)", measured: "\(fmt(ratio, 2))× (\(fmt(two.itemsPerSecond, 0)) vs \(fmt(one.itemsPerSecond, 0)) items/s; cores used \(fmt(one.coresUsed, 2)) → \(fmt(two.coresUsed, 2)))",
                met: ratio >= 1.6, note: ""))
        }
        if !cli.isEmpty {
            let peak = cli.compactMap(\.peakRssAnonMiB).max() ?? 0
            checks.append(TargetCheck(target: "peak RssAnon < 64 MiB", measured: "\(fmt(peak)) MiB (max over all `ingest run` runs)", met: peak < 64, note: ""))
            let generated = cli.filter { $0.corpus.hasPrefix("generated") && $0.workers == 2 }.sorted { $0.corpusMiB < $1.corpusMiB }
            if let small = generated.first, let large = generated.last, small.corpus != large.corpus,
                let a = small.peakRssAnonMiB, let b = large.peakRssAnonMiB {
                let change = (b - a) / a
                checks.append(TargetCheck(
                    target: "peak RssAnon within 10% between corpus sizes", measured: "\(fmt(a)) → \(fmt(b)) MiB (\(fmt(change * 100, 1))%, \(small.corpus) → \(large.corpus), 2 workers)",
                    met: abs(change) <= 0.10, note: ""))
                if let c = small.medianRssAnonMiB, let d = large.medianRssAnonMiB {
                    let steady = (d - c) / c
                    checks.append(TargetCheck(
                        target: "median RssAnon within 10% between corpus sizes (the steady state; not the issue's wording)",
                        measured: "\(fmt(c)) → \(fmt(d)) MiB (\(fmt(steady * 100, 1))%)", met: abs(steady) <= 0.10, note: ""))
                }
            }
        }
        return checks
    }
}

/// One variant with a fixed number of updates, for `strace -c`: prints {"updates":…,"commits":…}.
struct DurableChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "durable-child", abstract: "One durable variant with a fixed update count (used under strace).", shouldDisplay: false)

    @Option var variant: String
    @Option var writers: Int
    @Option var updates: Int
    @Option var dir: String
    @Option var groupWaitMs: Double = 5

    func run() throws {
        guard let which = DurableVariant(rawValue: variant) else { throw ValidationError("unknown variant \(variant)") }
        let (row, _) = try DurableBench.run(
            which, writers: writers, length: .count(updates), directory: dir, device: nil, groupItems: nil, groupWaitMS: groupWaitMs)
        let time = row.committerMicrosecondsPerCommit.map {
            String(format: ",\"gatherUS\":%.1f,\"writeUS\":%.1f,\"acknowledgeUS\":%.1f", $0.gather, $0.write, $0.acknowledge)
        } ?? ""
        print("{\"updates\":\(row.totalUpdates),\"commits\":\(row.commits ?? row.totalUpdates)\(time)}")
    }
}

struct SyncRow: Codable {
    var variant: DurableVariant
    var writers: Int
    var updates: Int
    var commits: Int
    var syncCallsBaseline: [String: Int]
    var syncCalls: [String: Int]
    var syncsPerUpdate: Double
    var syncsPerCommit: Double
    var straceSummary: String
}

/// Counts fsync/fdatasync/msync per update with `strace -f -c`, each variant in its own process.
struct Syncs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncs",
        abstract: "Count sync calls per update with strace -f -c -e trace=fsync,fdatasync,msync (a separate run).",
        discussion: "Each variant runs twice in a child process under strace: with 0 updates (setup and close only) and with --updates; the difference over the update count is the syncs per update."
    )

    @Option(help: "Data directory (default: a new directory under /tmp).")
    var dir: String?
    @Option(help: "Updates per variant (a multiple of 64).")
    var updates: Int = 2048
    @Option(help: "Write the results as JSON here.")
    var json: String?
    @Option var groupWaitMs: Double = 5

    func run() throws {
        let dataDir = dir ?? NSTemporaryDirectory() + "ingest-bench-syncs-\(getpid())"
        try makeDirectory(dataDir)
        let me = selfExecutable()
        var rows: [SyncRow] = []
        let plan: [(DurableVariant, Int)] = [(.storePerUpdate, 1), (.storeGroup, 64), (.sqlitePerUpdate, 1), (.sqliteGroup, 64), (.rawFdatasync, 1)]
        for (variant, writers) in plan {
            var calls: [[String: Int]] = []
            var summary = ""
            var counts = (updates: 0, commits: 0)
            for count in [0, updates] {
                let output = "\(dataDir)/strace-\(variant.rawValue)-\(count).txt"
                let arguments = [
                    "/usr/bin/strace", "-f", "-c", "--seccomp-bpf", "-e", "trace=fsync,fdatasync,msync", "-o", output,
                    me, "durable-child", "--variant", variant.rawValue, "--writers", String(writers), "--updates", String(count),
                    "--dir", "\(dataDir)/\(variant.rawValue)", "--group-wait-ms", String(groupWaitMs),
                ]
                let result = try runCommand(arguments)
                guard result.exit.status == 0 else { throw BenchError("strace run failed: \(result.stderr)") }
                let text = try String(contentsOfFile: output, encoding: .utf8)
                calls.append(Self.parse(text))
                if count > 0 {
                    summary = text
                    if let data = result.stdout.split(separator: "\n").last.map({ Data($0.utf8) }),
                        let object = try JSONSerialization.jsonObject(with: data) as? [String: Int] {
                        counts = (object["updates"] ?? 0, object["commits"] ?? 0)
                    }
                }
            }
            let total = { (c: [String: Int]) in (c["fsync"] ?? 0) + (c["fdatasync"] ?? 0) + (c["msync"] ?? 0) }
            let delta = Double(total(calls[1]) - total(calls[0]))
            rows.append(SyncRow(
                variant: variant, writers: writers, updates: counts.updates, commits: counts.commits,
                syncCallsBaseline: calls[0], syncCalls: calls[1],
                syncsPerUpdate: delta / Double(max(1, counts.updates)), syncsPerCommit: delta / Double(max(1, counts.commits)),
                straceSummary: summary
            ))
            removeTree("\(dataDir)/\(variant.rawValue)")
        }
        print(table(
            ["variant", "W", "updates", "commits", "fsync", "fdatasync", "msync", "baseline (0 updates)", "syncs/update", "syncs/commit"],
            rows.map { row in
                [
                    row.variant.rawValue, String(row.writers), String(row.updates), String(row.commits),
                    String(row.syncCalls["fsync"] ?? 0), String(row.syncCalls["fdatasync"] ?? 0), String(row.syncCalls["msync"] ?? 0),
                    row.syncCallsBaseline.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                    fmt(row.syncsPerUpdate, 3), fmt(row.syncsPerCommit, 2),
                ]
            }
        ))
        for row in rows {
            print("\n$ strace -f -c --seccomp-bpf -e trace=fsync,fdatasync,msync ingest-bench durable-child --variant \(row.variant.rawValue) --writers \(row.writers) --updates \(updates)")
            print(row.straceSummary.trimmingCharacters(in: .newlines))
        }
        // Where LMDB's second sync per commit hides: the meta page goes through a second
        // descriptor of data.mdb opened with O_DSYNC, so it is a synchronous pwrite, not an fdatasync.
        let traceFile = "\(dataDir)/strace-store-detail.txt"
        let detail = try runCommand([
            "/usr/bin/strace", "-f", "-e", "trace=openat,pwrite64,pwritev,writev,fdatasync,fsync", "-o", traceFile,
            me, "durable-child", "--variant", DurableVariant.storePerUpdate.rawValue, "--writers", "1", "--updates", "3",
            "--dir", "\(dataDir)/detail",
        ])
        guard detail.exit.status == 0 else { throw BenchError("strace detail run failed: \(detail.stderr)") }
        let traceLines = try String(contentsOfFile: traceFile, encoding: .utf8).split(separator: "\n")
        print("\n$ strace -f -e trace=openat,pwrite64,pwritev,writev,fdatasync,fsync ingest-bench durable-child --variant store-per-update --writers 1 --updates 3")
        print("(the opens of data.mdb, then the last update's commit)")
        for line in traceLines where line.contains("data.mdb") { print(line) }
        print("...")
        let lastSync = traceLines.lastIndex { $0.contains("fdatasync(") } ?? traceLines.endIndex
        let firstOfLast = traceLines[..<lastSync].lastIndex { $0.contains("fdatasync(") } ?? traceLines.startIndex
        for line in traceLines[firstOfLast..<min(traceLines.endIndex, lastSync + 3)] { print(line) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(rows).write(to: URL(fileURLWithPath: json))
        }
        if dir == nil { removeTree(dataDir) }
    }

    /// The `calls` column of strace -c's table, by syscall name.
    static func parse(_ text: String) -> [String: Int] {
        var calls: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, let name = fields.last, ["fsync", "fdatasync", "msync"].contains(String(name)) else { continue }
            // % time, seconds, usecs/call, calls, [errors,] syscall
            if let count = Int(fields[3]) { calls[String(name)] = count }
        }
        return calls
    }
}

/// Point reads in a loop on a store made once, for a profiler (`perf record`, `valgrind --tool=callgrind`).
struct ProfileReads: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "profile-reads", abstract: "Point reads in a loop, for a profiler.", shouldDisplay: false)

    @Option var dir: String
    @Option var jobs: Int = 100_000
    @Option var reads: Int = 1_000_000

    func run() throws {
        if !FileManager.default.fileExists(atPath: dir + "/data.mdb") {
            try StoreFill.fill(at: dir, completed: jobs, interrupted: 0, interruptedSource: "/nowhere")
            print("filled \(jobs) jobs; run again to read")
            return
        }
        let store = try JobStore.open(at: dir, mode: .readOnly)
        let ids = (0..<jobs).map(StoreFill.completedID)
        let (median, p99) = try ReadsBench.pointReads(store: store, ids: ids, reads: reads)
        print("median \(fmtInt(median)) ns, p99 \(fmtInt(p99)) ns")
    }
}
