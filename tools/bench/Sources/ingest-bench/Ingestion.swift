internal import Foundation
internal import IngestCore
internal import IngestPipeline
internal import IngestRunner
internal import IngestStore
internal import LMDBKit
internal import Logging

#if canImport(Glibc)
internal import Glibc
#endif

/// A seeded text corpus: files of mixed sizes (60% 1–8 KiB, 30% 8–64 KiB, 10% 64 KiB–1 MiB),
/// 100 to a directory, of paragraphs of sentences over a skewed 4,096-word vocabulary.
enum Corpus {
    static func generate(at path: String, totalBytes: Int, seed: UInt64) throws -> (files: Int, bytes: UInt64) {
        let marker = path + "/.corpus"
        let expected = "bytes=\(totalBytes) seed=\(seed) v1"
        if let found = try? String(contentsOfFile: marker, encoding: .utf8), found.hasPrefix(expected) {
            let files = Int(found.split(separator: " ").last { $0.hasPrefix("files=") }?.dropFirst(6) ?? "") ?? 0
            return (files, treeBytes(path))
        }
        removeTree(path)
        try makeDirectory(path)
        var random = SplitMix64(seed: seed)
        let syllables = ["ka", "ri", "to", "men", "sa", "lo", "vi", "dra", "ne", "pu", "gor", "thi", "al", "ex", "qua", "bel",
                         "or", "un", "ste", "mi", "cor", "da", "fen", "li", "pha", "ros", "tu", "wen", "zo", "ber", "chi", "ma"]
        let vocabulary: [[UInt8]] = (0..<4096).map { _ in
            let count = 1 + Int(random.next() % 4)
            return Array((0..<count).map { _ in syllables[Int(random.next() % UInt64(syllables.count))] }.joined().utf8)
        }
        var written = 0
        var files = 0
        while written < totalBytes {
            let band = random.unit()
            let (low, high): (Double, Double) = band < 0.6 ? (1024, 8192) : band < 0.9 ? (8192, 65536) : (65536, 1_048_576)
            let size = min(totalBytes - written, max(64, Int(exp(log(low) + random.unit() * (log(high) - log(low))))))
            var text: [UInt8] = []
            text.reserveCapacity(size + 256)
            while text.count < size {
                let sentences = 3 + Int(random.next() % 6)
                for sentence in 0..<sentences {
                    let words = 6 + Int(random.next() % 15)
                    for word in 0..<words {
                        let u = random.unit()
                        var bytes = vocabulary[Int(u * u * u * Double(vocabulary.count))]
                        if word == 0 { bytes[0] = bytes[0] &- 32 }
                        text.append(contentsOf: bytes)
                        text.append(word == words - 1 ? UInt8(ascii: ".") : UInt8(ascii: " "))
                    }
                    text.append(sentence == sentences - 1 ? 10 : UInt8(ascii: " "))
                }
                text.append(10)
            }
            text.removeLast(text.count - size)
            let directory = String(format: "%@/d%03d", path, files / 100)
            if files % 100 == 0 { try makeDirectory(directory) }
            let file = String(format: "%@/f%06d.txt", directory, files)
            let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw BenchError("cannot create \(file)") }
            let count = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard count == text.count else { throw BenchError("short write to \(file)") }
            written += size
            files += 1
        }
        try "\(expected) files=\(files)".write(toFile: marker, atomically: true, encoding: .utf8)
        return (files, UInt64(written))
    }

    /// The largest Python standard library on the machine (its `.py` files), else /usr/share/doc.
    static func realTree() -> (path: String, include: [String])? {
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? [])
            .filter { $0.hasPrefix("python3.") }.sorted().map { "/usr/lib/\($0)" }
        if let python = candidates.last { return (python, ["*.py"]) }
        if FileManager.default.fileExists(atPath: "/usr/share/doc") { return ("/usr/share/doc", []) }
        return nil
    }

    /// Bytes and count of the files under `path` that end in one of `suffixes` (all when empty).
    static func measure(_ path: String, suffixes: [String]) -> (files: Int, bytes: UInt64) {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return (0, 0) }
        var files = 0
        var bytes: UInt64 = 0
        while let relative = walker.nextObject() as? String {
            guard suffixes.isEmpty || suffixes.contains(where: { relative.hasSuffix($0) }) else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { continue }
            files += 1
            bytes += (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
        }
        return (files, bytes)
    }
}

struct IngestRow: Codable {
    var corpus: String
    var corpusMiB: Double
    var files: Int
    var how: String
    var durability: String
    var workers: Int
    var seconds: Double
    var mibPerSecond: Double
    var chunks: UInt64
    var chunksPerSecond: Double
    var cpuSeconds: Double
    var coresUsed: Double
    var peakRssAnonMiB: Double?
    /// The median RssAnon sample of the run (CLI runs only).
    var medianRssAnonMiB: Double? = nil
    var peakRssFileMiB: Double?
    /// rusage ru_oublock × 512 (CLI) or /proc/self/io write_bytes (in-process): the kernel
    /// charges a whole page-cache folio when it is dirtied, so with large folios this
    /// over-counts; the device figure below is what reached the disk.
    var writtenBytes: UInt64
    var writtenMiBPerMiB: Double
    var storeMiB: Double
    var jobStatus: String
    var itemsFailed: UInt64
    /// Sectors written on the data directory's block device during the run (whole device:
    /// includes the file system's own writes and any other process's).
    var deviceWrittenMiBPerMiB: Double = 0
    /// How many runs this row is the median of (runs on corpora under 200 MiB are repeated;
    /// the peaks are then the highest of the repeats).
    var runs: Int = 1
}

enum IngestBenchSection {
    static let noLogs = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Source {
        var name: String
        var path: String
        var include: [String]
        var files: Int
        var bytes: UInt64
        var mib: Double { Double(bytes) / 1_048_576 }
    }

    static func storeSize(_ path: String) -> Double {
        Double((try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? NSNumber)??.uint64Value ?? 0) / 1_048_576
    }

    /// `ingest submit` + `ingest run` as child processes; /proc/PID/status sampled every 20 ms.
    static func cli(_ source: Source, ingest: String, workers: Int, storePath: String, device: String?) throws -> IngestRow {
        removeTree(storePath)
        var submit = [ingest, "submit", source.path, "--store", storePath]
        for pattern in source.include { submit += ["--include", pattern] }
        let submitted = try runCommand(submit)
        guard submitted.exit.status == 0 else { throw BenchError("ingest submit failed: \(submitted.stderr)") }
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let device0 = deviceWriteBytes(device)
        let child = try ChildProcess([ingest, "run", "--store", storePath, "--workers", String(workers), "--progress", "none"])
        let sampler = MemorySampler(pid: child.pid, intervalMicroseconds: 20_000)
        let result = child.finish()
        let peaks = sampler.stop()
        let deviceBytes = deviceWriteBytes(device) &- device0
        guard result.exit.status == 0 else { throw BenchError("ingest run exited \(result.exit.status): \(result.stderr.suffix(500))") }
        let (status, chunks, failed) = try jobOutcome(storePath: storePath, id: id)
        let wall = Double(result.exit.wallNS) / 1e9
        let cpu = result.exit.userSeconds + result.exit.systemSeconds
        let deviceMiBPerMiB: Double = Double(deviceBytes) / 1_048_576 / source.mib
        let writtenMiBPerMiB: Double = Double(result.exit.writtenBytes) / 1_048_576 / source.mib
        let anonMiB: Double = Double(peaks.anonKiB) / 1024, fileMiB: Double = Double(peaks.fileKiB) / 1024
        return IngestRow(
            corpus: source.name, corpusMiB: source.mib, files: source.files, how: "cli", durability: "full", workers: workers,
            seconds: wall, mibPerSecond: source.mib / wall, chunks: chunks, chunksPerSecond: Double(chunks) / wall,
            cpuSeconds: cpu, coresUsed: cpu / wall,
            peakRssAnonMiB: anonMiB, medianRssAnonMiB: Double(peaks.medianAnonKiB) / 1024, peakRssFileMiB: fileMiB,
            writtenBytes: result.exit.writtenBytes, writtenMiBPerMiB: writtenMiBPerMiB,
            storeMiB: storeSize(storePath), jobStatus: status, itemsFailed: failed,
            deviceWrittenMiBPerMiB: deviceMiBPerMiB
        )
    }

    static func jobOutcome(storePath: String, id: String) throws -> (String, UInt64, UInt64) {
        let store = try JobStore.open(at: storePath, mode: .readOnly)
        guard let job = try store.job(try JobID(validating: id)) else { throw BenchError("job \(id) vanished") }
        // The embed phase's items are the chunks.
        return (job.status.description, job.phases[2].processed, job.itemsFailed)
    }

    /// How an in-process run makes its store durable.
    enum Sync: String, CaseIterable {
        /// Every commit synced: the product's mode.
        case full
        /// `MDB_NOSYNC`: nothing synced; the store's pages stay in the page cache.
        case nosync
        /// `MDB_NOSYNC`, then one `mdb_env_sync` before the clock stops: the store's bytes
        /// written to the device once, the least any run that ends durable must pay.
        case nosyncThenSync = "nosync+sync"
    }

    /// Runner + the built-in pipeline in this process, with the store synced as `sync` says.
    static func inProcess(
        _ source: Source, workers: Int, sync: Sync, storePath: String, device: String?
    ) async throws -> IngestRow {
        removeTree(storePath)
        let row: IngestRow
        do {
            let store = try JobStore.open(at: storePath, options: EnvironmentOptions(durability: sync == .full ? .full : .noSync))
            let pipelineStore = try PipelineStore(store)
            let (id, _) = try Pipeline.submit(store, source: source.path, settings: PipelineSettings(include: source.include))
            let written0 = processWriteBytes(), device0 = deviceWriteBytes(device), cpu0 = processCPUSeconds(), start = nowNS()
            let runner = Runner(
                store: store, configuration: RunnerConfiguration(workers: workers),
                factory: Pipeline.factory(pipelineStore, logger: noLogs), logger: noLogs
            )
            let report = try await runner.run(stop: StopController())
            if sync == .nosyncThenSync { try store.environment.sync() }
            let wall = seconds(nowNS() - start)
            let cpu = processCPUSeconds() - cpu0, written = processWriteBytes() - written0, deviceBytes = deviceWriteBytes(device) &- device0
            if let error = report.error { throw error }
            guard let job = try store.job(id) else { throw BenchError("job vanished") }
            let deviceMiBPerMiB: Double = Double(deviceBytes) / 1_048_576 / source.mib
            let writtenMiBPerMiB: Double = Double(written) / 1_048_576 / source.mib
            let chunks = job.phases[2].processed
            row = IngestRow(
                corpus: source.name, corpusMiB: source.mib, files: source.files, how: "in-process",
                durability: sync.rawValue, workers: workers,
                seconds: wall, mibPerSecond: source.mib / wall, chunks: chunks,
                chunksPerSecond: Double(chunks) / wall, cpuSeconds: cpu, coresUsed: cpu / wall,
                peakRssAnonMiB: nil, peakRssFileMiB: nil, writtenBytes: written,
                writtenMiBPerMiB: writtenMiBPerMiB, storeMiB: storeSize(storePath),
                jobStatus: job.status.description, itemsFailed: job.itemsFailed,
                deviceWrittenMiBPerMiB: deviceMiBPerMiB
            )
        }
        return row
    }

    static func tableText(_ rows: [IngestRow]) -> String {
        table(
            ["corpus", "MiB", "how", "sync", "workers", "s", "MiB/s", "chunks/s", "cores", "peak anon MiB", "median anon MiB", "peak file MiB", "write_bytes MiB/MiB", "device MiB/MiB", "status"],
            rows.map { row in
                [
                    row.corpus, fmt(row.corpusMiB), row.how + (row.runs > 1 ? " (median of \(row.runs))" : ""), row.durability, String(row.workers), fmt(row.seconds, 2),
                    fmt(row.mibPerSecond, 2), fmtInt(row.chunksPerSecond), fmt(row.coresUsed, 2),
                    row.peakRssAnonMiB.map { fmt($0) } ?? "-", row.medianRssAnonMiB.map { fmt($0) } ?? "-", row.peakRssFileMiB.map { fmt($0) } ?? "-",
                    fmt(row.writtenMiBPerMiB, 2), fmt(row.deviceWrittenMiBPerMiB, 2), row.jobStatus + (row.itemsFailed > 0 ? " (\(row.itemsFailed) failed)" : ""),
                ]
            }
        )
    }
}
