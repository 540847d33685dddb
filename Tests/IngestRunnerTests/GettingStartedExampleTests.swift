import Foundation
import IngestCore
import IngestRunner
import IngestStore
import IngestTestSupport
import Logging
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The getting-started article's word-count host, run as the article describes it.
@Suite struct GettingStartedExampleTests {
    /// A text file of `lines` lines, line i holding i % 7 words, and one line that is not
    /// UTF-8 after the first; with the words it holds, counted independently of the host.
    private func writeText(lines: Int, in directory: TemporaryDirectory) throws -> (path: String, words: UInt64) {
        var bytes: [UInt8] = []
        var words: UInt64 = 0
        for index in 0..<lines {
            if index == 1 {
                bytes += [0xFF, 0xFE, 0x20, 0x61]  // not UTF-8: the host rejects the line
            } else {
                bytes += Array(Array(repeating: "word", count: index % 7).joined(separator: " ").utf8)
                words += UInt64(index % 7)
            }
            if index < lines - 1 { bytes.append(UInt8(ascii: "\n")) }
        }
        let path = directory.appending("text.txt")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, words)
    }

    /// A store in a fresh directory with a word count of a fresh file submitted as `name`.
    private func submittedJob(lines: Int, named name: String) throws -> (
        directory: TemporaryDirectory, words: UInt64, store: JobStore, id: JobID
    ) {
        let directory = TemporaryDirectory()
        let text = try writeText(lines: lines, in: directory)
        let store = try JobStore.open(at: directory.appending("store"), logger: quietLogger)
        return (directory, text.words, store, try submitWordCount(of: text.path, named: name, to: store))
    }

    @Test("the host counts a file's words exactly, rejects the bad line, and a second submit finds the same job")
    func countsWordsExactly() async throws {
        let (directory, words, store, id) = try submittedJob(lines: 3000, named: "words-1")

        let report = try #require(try await runWordCounts(in: store, shutdownSignals: [], logger: quietLogger))

        #expect(report.outcome(of: id) == .completed)
        #expect(!report.workRemains)
        #expect(try wordCount(of: id, in: store) == words)
        let description = try describeJob(id, in: store)
        #expect(description.hasPrefix("words-1: completed, idle, 100%"), "\(description)")
        #expect(description.contains("measure: completed, 3000 processed, 1 failed"), "\(description)")
        #expect(description.contains("total: completed, 2999 processed, 0 failed"), "\(description)")
        #expect(try store.failedItems(id).map(\.failure) == ["line 2 is not UTF-8"])

        // Submitting again is idempotent, and a completed job is not run again.
        #expect(try submitWordCount(of: directory.appending("text.txt"), named: "words-1", to: store) == id)
        #expect(try store.jobs().map(\.id) == [id])
        let again = try #require(try await runWordCounts(in: store, shutdownSignals: [], logger: quietLogger))
        #expect(again.outcomes.isEmpty)
        #expect(try wordCount(of: id, in: store) == words)
    }

    @Test("a graceful shutdown pauses the job with reason shutdown; the next run finishes the count exactly")
    func gracefulShutdownThenResume() async throws {
        let (directory, words, store, id) = try submittedJob(lines: 5000, named: "words-2")
        defer { withExtendedLifetime(directory) {} }  // the store's files live until the test ends
        let databases = try WordCountDatabases(in: store)

        // Shut down as soon as the first group commit has landed some counts.
        let stopped = try await testGracefulShutdown { trigger in
            let runner = Runner(
                store: store, configuration: RunnerConfiguration(workers: 2, groupCommitItems: 64),
                factory: wordCountFactory(databases), logger: quietLogger,
                events: { event in
                    if case .progress(_, let phases) = event, phases[0].processed > 0 { trigger.triggerGracefulShutdown() }
                }
            )
            let service = IngestService(runner: runner)
            try await service.run()
            return service.report
        }

        let report = try #require(stopped)
        #expect(report.outcome(of: id) == .paused(.shutdown))
        #expect(report.workRemains)
        let description = try describeJob(id, in: store)
        #expect(description.hasPrefix("words-2: running, interrupted,"), "\(description)")
        #expect(description.contains("measure: paused (shutdown)"), "\(description)")
        let paused = try #require(try store.job(id))
        #expect(paused.phases[0].processed < 5000, "the stop landed before the job could finish")
        #expect(try wordCount(of: id, in: store) == nil)

        let resumed = try #require(try await runWordCounts(in: store, shutdownSignals: [], logger: quietLogger))

        #expect(resumed.outcome(of: id) == .completed)
        #expect(try wordCount(of: id, in: store) == words)
        let done = try #require(try store.job(id))
        #expect(done.phases.map(\.processed) == [5000, 4999])
        #expect(done.phases.map(\.attempts) == [1, 1], "a resume is not an attempt")
        #expect(done.record.attempts == 0, "a clean stop costs no attempt")
    }

    @Test("the factory fails a job that is not a word count, with its reason")
    func factoryRefusesOtherPlans() async throws {
        let directory = TemporaryDirectory()
        let store = try JobStore.open(at: directory.appending("store"), logger: quietLogger)
        let (id, _) = try store.submit(id: try JobID(validating: "not-words"), source: directory.path, plan: .standard)

        let report = try #require(try await runWordCounts(in: store, shutdownSignals: [], logger: quietLogger))

        let reason = "job not-words was not submitted as a word count"
        #expect(report.outcome(of: id) == .failed(phase: "load", error: reason))
        let job = try #require(try store.job(id))
        #expect(job.status == .failed)
        #expect(job.phases[0].lastError == reason)
    }
}
