import Foundation
import IngestTestSupport
import Testing

/// One sample of a Prometheus text exposition: `name{labels} value`.
struct PrometheusSample: Hashable {
    let name: String
    let labels: String
    let value: Double
}

/// A strict reader of the Prometheus text format as node_exporter's textfile collector takes
/// it: every line is a comment or a sample, every sample's family has a TYPE line before it.
struct PrometheusText {
    let samples: [PrometheusSample]
    let types: [String: String]

    init(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var samples: [PrometheusSample] = []
        var types: [String: String] = [:]
        #expect(text.hasSuffix("\n"), "the exposition must end with a newline", sourceLocation: sourceLocation)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 4, "bad TYPE line: \(line)", sourceLocation: sourceLocation)
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            let space = try #require(line.lastIndex(of: " "), "not a sample: \(line)", sourceLocation: sourceLocation)
            let series = line[..<space]
            let value = try #require(Double(line[line.index(after: space)...]), "bad value: \(line)", sourceLocation: sourceLocation)
            let brace = series.firstIndex(of: "{")
            let name = String(series[..<(brace ?? series.endIndex)])
            let labels = brace.map { String(series[$0...]) } ?? ""
            let family = types.keys.first { name == $0 || name.hasPrefix($0 + "_") }
            #expect(family != nil, "sample \(name) has no TYPE line before it", sourceLocation: sourceLocation)
            samples.append(PrometheusSample(name: name, labels: labels, value: value))
        }
        self.samples = samples
        self.types = types
    }

    func value(_ name: String, _ labels: String = "") -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}

@Suite("metrics: --metrics-file and ingest metrics")
struct MetricsTests {
    /// What every exposition must show about a store whose `jobs` jobs all completed over
    /// `files` files of `bytes` bytes in total.
    static func expectCompleted(
        _ metrics: PrometheusText, jobs: Int, files: Int, bytes: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(metrics.value("ingest_jobs", "{status=\"completed\"}") == Double(jobs), sourceLocation: sourceLocation)
        for status in ["pending", "running", "failed"] {
            #expect(metrics.value("ingest_jobs", "{status=\"\(status)\"}") == 0, "\(status)", sourceLocation: sourceLocation)
        }
        for phase in ["load", "chunk"] {
            #expect(metrics.value("ingest_phase_items_done", "{phase=\"\(phase)\"}") == Double(files * jobs), "\(phase)", sourceLocation: sourceLocation)
        }
        for phase in ["load", "chunk", "embed", "index"] {
            #expect(metrics.value("ingest_phase_items_failed", "{phase=\"\(phase)\"}") == 0, "\(phase)", sourceLocation: sourceLocation)
        }
        #expect(metrics.value("ingest_document_bytes") == Double(bytes), sourceLocation: sourceLocation)
        #expect(metrics.types["ingest_commit_duration_seconds"] == "histogram", sourceLocation: sourceLocation)
    }

    /// A histogram's buckets never decrease and the +Inf bucket is its count.
    static func expectSaneHistogram(_ metrics: PrometheusText, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let buckets = metrics.samples.filter { $0.name == name + "_bucket" }.map(\.value)
        #expect(!buckets.isEmpty, "no buckets", sourceLocation: sourceLocation)
        #expect(buckets == buckets.sorted(), "buckets decrease: \(buckets)", sourceLocation: sourceLocation)
        #expect(buckets.last == metrics.value(name + "_count"), sourceLocation: sourceLocation)
        #expect(metrics.samples.last { $0.name == name + "_bucket" }?.labels == "{le=\"+Inf\"}", sourceLocation: sourceLocation)
    }

    static func corpusBytes(_ directory: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: directory).reduce(0) { total, name in
            total + (try fileSize(directory + "/" + name))
        }
    }

    @Test("a completed run: the file and `ingest metrics` show the same committed figures", .timeLimit(.minutes(TestTime.minutes(2))))
    func completedRun() async throws {
        let world = RunWorld("metrics-complete")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 40, bytes: 2048, seed: 11)
        try await world.submit(source, id: "m1")
        let file = world.path("ingest.prom")

        let end = try await world.run(["--metrics-file", file, "--progress", "none"])
        #expect(end.status == RunExit.ok, "\(end.stderr)")
        let written = try PrometheusText(try String(contentsOfFile: file, encoding: .utf8))
        let bytes = try Self.corpusBytes(source)
        Self.expectCompleted(written, jobs: 1, files: 40, bytes: bytes)
        Self.expectSaneHistogram(written, "ingest_commit_duration_seconds")
        #expect((written.value("ingest_commit_duration_seconds_count") ?? 0) > 0, "the run committed, so it timed commits")
        #expect(written.value("ingest_last_run_finished") == 1)
        #expect(written.value("ingest_last_run_exit_code") == 0)
        #expect(written.value("ingest_last_run_start_timestamp_seconds") != nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: world.directory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")

        let printed = try await world.ingest(["metrics"])
        #expect(printed.status == RunExit.ok, "\(printed.stderr)")
        let read = try PrometheusText(printed.stdout)
        // The same samples, up to order: the histogram is replayed from what the run recorded.
        let writtenSamples = Set(written.samples.filter { $0.name != "ingest_commit_duration_seconds_sum" })
        let readSamples = Set(read.samples.filter { $0.name != "ingest_commit_duration_seconds_sum" })
        #expect(writtenSamples == readSamples, "differ: \(writtenSamples.symmetricDifference(readSamples))")
        let sums = (written.value("ingest_commit_duration_seconds_sum") ?? -1, read.value("ingest_commit_duration_seconds_sum") ?? -2)
        #expect(abs(sums.0 - sums.1) <= 1e-9 * max(1, sums.0), "sums \(sums)")
        #expect(read.types == written.types)
    }

    @Test("a killed run leaves a whole file, and `ingest metrics` says it never finished", .timeLimit(.minutes(TestTime.minutes(2))))
    func killedRun() async throws {
        let world = RunWorld("metrics-killed")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 400, bytes: 8 * 1024, seed: 12)
        try await world.submit(source, id: "k1")
        let file = world.path("ingest.prom")

        let run = try world.startRun(["--metrics-file", file, "--metrics-interval", "100ms", "--workers", "1", "--commit-items", "8"])
        defer { run.killIfRunning() }
        // Wait for a file written after items were committed, then pull the plug.
        let progressed = try await RunBlocking.poll(timeout: .seconds(60)) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8), let metrics = try? PrometheusText(text) else { return false }
            return (metrics.value("ingest_phase_items_done", "{phase=\"load\"}") ?? 0) > 0
        }
        try #require(progressed, "the metrics file never showed progress")
        run.send(SIGKILL)
        let end = try await run.wait(timeout: .seconds(30))
        #expect(end.signalled)

        let left = try PrometheusText(try String(contentsOfFile: file, encoding: .utf8))
        #expect(left.value("ingest_jobs", "{status=\"running\"}") == 1)
        #expect(left.value("ingest_last_run_finished") == 0, "the file was written while the run went on")
        #expect(left.value("ingest_last_run_exit_code") == nil)

        let afterKill = try PrometheusText(try await world.ingest(["metrics"]).stdout)
        #expect(afterKill.value("ingest_last_run_finished") == 0, "a killed run never finished")
        #expect(afterKill.value("ingest_last_run_exit_code") == nil)
        #expect((afterKill.value("ingest_phase_items_done", "{phase=\"load\"}") ?? 0) > 0, "committed progress survives the kill")

        let again = try await world.run(["--metrics-file", file, "--progress", "none"])
        #expect(again.status == RunExit.ok, "\(again.stderr)")
        let finished = try PrometheusText(try String(contentsOfFile: file, encoding: .utf8))
        Self.expectCompleted(finished, jobs: 1, files: 400, bytes: try Self.corpusBytes(source))
        #expect(finished.value("ingest_last_run_finished") == 1)
        #expect(finished.value("ingest_last_run_exit_code") == 0)
    }

    @Test("a run that stops early records exit code 75")
    func budgetExitCode() async throws {
        let world = RunWorld("metrics-budget")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 1500, bytes: 8 * 1024, seed: 13)
        try await world.submit(source, id: "b1")
        let end = try await world.run(["--max-time", "300ms", "--workers", "1"])
        #expect(end.status == RunExit.workRemains, "\(end.stderr)")
        let metrics = try PrometheusText(try await world.ingest(["metrics"]).stdout)
        #expect(metrics.value("ingest_last_run_exit_code") == 75)
        #expect(metrics.value("ingest_last_run_finished") == 1)
        #expect((metrics.value("ingest_last_run_duration_seconds") ?? 0) > 0)
    }

    @Test("a store that never ran has job figures and no run figures; bad paths and values are refused")
    func edges() async throws {
        let world = RunWorld("metrics-edges")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 3, bytes: 512, seed: 14)
        try await world.submit(source, id: "e1")
        let never = try PrometheusText(try await world.ingest(["metrics"]).stdout)
        #expect(never.value("ingest_jobs", "{status=\"pending\"}") == 1)
        #expect(never.value("ingest_last_run_start_timestamp_seconds") == nil)
        #expect(never.value("ingest_commit_duration_seconds_count") == 0)

        let badDirectory = try await world.ingest(["run", "--metrics-file", world.path("no/such/dir/x.prom")])
        #expect(badDirectory.status == 73, "\(badDirectory.stderr)")
        #expect(badDirectory.stderr.contains("metrics file"), "\(badDirectory.stderr)")
        #expect(try await world.status("e1").processed == 0, "nothing ran before the bad path was refused")

        let badInterval = try await world.ingest(["run", "--metrics-interval", "often"])
        #expect(badInterval.status == 64, "\(badInterval.stderr)")
        #expect(badInterval.stderr.contains("--metrics-interval"))

        let missing = try await world.ingest(["metrics"], store: world.path("nothing-here"))
        #expect(missing.status == 66, "\(missing.stderr)")
    }
}
