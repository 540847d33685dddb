import Foundation
import IngestTestSupport
import Testing

/// A job interrupted several times and resumed ends with exactly the index of a job that
/// ran without interruption.
@Suite("Run resume: interrupted runs end with the export of an uninterrupted run")
struct RunResumeTests {
    @Test("SIGTERM, budget, SIGTERM, then a full run: export byte for byte equal to a clean store's", .timeLimit(.minutes(TestTime.minutes(3))))
    func interruptedEqualsClean() async throws {
        let world = RunWorld("run-resume")
        let source = world.path("corpus")
        // Big enough that a 1 s budget cannot finish what the first SIGTERM left (12 MB).
        let files = 1500
        try RunCorpus.write(into: source, files: files, bytes: 8 * 1024, seed: 21)
        let interruptedStore = world.path("interrupted")
        let cleanStore = world.path("clean")
        try await world.submit(source, id: "same", store: interruptedStore)
        try await world.submit(source, id: "same", store: cleanStore)

        var progressSeen: [UInt64] = [0]
        var interruptions = 0

        // 1: SIGTERM as soon as something was committed.
        do {
            let run = try world.startRun(["--workers", "2"], store: interruptedStore)
            defer { run.killIfRunning() }
            let started = try await world.waitForStatus("same", store: interruptedStore, "first progress") { $0.processed > 0 }
            try #require(started != nil)
            run.send(SIGTERM)
            let end = try await run.wait()
            #expect(end.status == RunExit.workRemains, "first interruption: \(end)")
            if end.status == RunExit.workRemains { interruptions += 1 }
            let job = try await world.status("same", store: interruptedStore)
            RunStopTests.expectPaused(job, reason: "shutdown")
            progressSeen.append(job.processed)
        }

        // 2: a 1 s budget.
        do {
            let output = try await world.run(["--max-time", "1s"], store: interruptedStore)
            #expect(output.status == RunExit.workRemains, "budget interruption: \(output.status) \(output.stderr)")
            if output.status == RunExit.workRemains { interruptions += 1 }
            let job = try await world.status("same", store: interruptedStore)
            if output.status == RunExit.workRemains { RunStopTests.expectPaused(job, reason: "budget") }
            progressSeen.append(job.processed)
        }

        // 3: SIGTERM once the run has gone past where the budget stopped.
        do {
            let before = progressSeen.last ?? 0
            let run = try world.startRun(["--workers", "2"], store: interruptedStore)
            defer { run.killIfRunning() }
            let moved = try await world.waitForStatus("same", store: interruptedStore, "progress past \(before)") {
                $0.processed > before || $0.status == "completed"
            }
            try #require(moved != nil)
            run.send(SIGTERM)
            let end = try await run.wait()
            // Should the job have completed just before the signal landed, 0 is right too.
            #expect([RunExit.workRemains, RunExit.ok].contains(end.status), "third interruption: \(end)")
            if end.status == RunExit.workRemains { interruptions += 1 }
            progressSeen.append(try await world.status("same", store: interruptedStore).processed)
        }
        #expect(interruptions >= 2, "only \(interruptions) interruptions landed before the job completed")
        #expect(progressSeen == progressSeen.sorted(), "progress went backwards: \(progressSeen)")
        #expect(try await world.history("same", store: interruptedStore).filter { $0.event == "claimed" }.count == 3)

        let finish = try await world.run(store: interruptedStore)
        #expect(finish.status == RunExit.ok, "final run: \(finish.status) \(finish.stderr)")
        let clean = try await world.run(store: cleanStore)
        #expect(clean.status == RunExit.ok, "clean run: \(clean.status) \(clean.stderr)")

        let resumedJob = try await world.status("same", store: interruptedStore)
        let cleanJob = try await world.status("same", store: cleanStore)
        #expect(resumedJob.status == "completed" && cleanJob.status == "completed", "\(resumedJob) / \(cleanJob)")
        // No item was counted twice: every phase processed exactly what the clean run did.
        for (resumed, clean) in zip(resumedJob.phases, cleanJob.phases) {
            #expect(resumed.processed == clean.processed, "\(resumed.name): resumed \(resumed.processed), clean \(clean.processed)")
            #expect(resumed.total == clean.total, "\(resumed.name): resumed total \(resumed.total ?? 0), clean \(clean.total ?? 0)")
            #expect(resumed.itemsFailed == 0 && clean.itemsFailed == 0)
        }
        #expect(resumedJob.phase("load")?.processed == UInt64(files))

        let resumedExport = try await world.export(store: interruptedStore)
        let cleanExport = try await world.export(store: cleanStore)
        #expect(!cleanExport.isEmpty)
        #expect(resumedExport.split(separator: "\n").count == cleanExport.split(separator: "\n").count)
        #expect(resumedExport == cleanExport, "the resumed store's export differs from the clean one's")
        try await world.expectVerifies(store: interruptedStore)
    }
}
