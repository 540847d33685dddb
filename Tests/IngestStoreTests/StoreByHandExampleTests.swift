import IngestCore
import IngestStore
import IngestTestSupport
import Testing

/// The IngestStore landing page's store-only host, interrupted and resumed.
@Suite struct StoreByHandExampleTests {
    private struct PageFailed: Error {}

    /// A store in a fresh directory with a one-phase "convert" job submitted as `name`.
    private func submittedJob(named name: String) throws -> (directory: TemporaryDirectory, store: JobStore, id: JobID) {
        let directory = TemporaryDirectory("store-by-hand")
        let store = try JobStore.open(at: directory.appending("store"))
        let plan = try Plan(phases: [PhaseSpec(name: "convert", weight: 1)])
        let (id, _) = try store.submit(id: try JobID(validating: name), source: "book.pdf", plan: plan)
        return (directory, store, id)
    }

    @Test("a failure mid-way leaves the phase running at its checkpoint; the next call converts only the rest")
    func resumesAfterTheLastRecordedPage() throws {
        let (directory, store, id) = try submittedJob(named: "pages")
        defer { withExtendedLifetime(directory) {} }  // the store's files live until the test ends
        var converted: [UInt64] = []

        #expect(throws: PageFailed.self) {
            try convertPages(of: id, pages: 10, in: store) { page in
                if page == 4 { throw PageFailed() }
                converted.append(page)
            }
        }
        let interrupted = try #require(try store.job(id))
        #expect(interrupted.status == .running)
        #expect(interrupted.phases[0].processed == 4)
        #expect(interrupted.progress == 0.4)

        try convertPages(of: id, pages: 10, in: store) { converted.append($0) }

        #expect(converted == Array(0..<10), "each page converted once")
        let done = try #require(try store.job(id))
        #expect(done.status == .completed)
        #expect(done.phases[0].processed == 10)
        #expect(done.phases[0].attempts == 1)
        // Done is done: a third call converts nothing.
        try convertPages(of: id, pages: 10, in: store) { converted.append($0) }
        #expect(converted.count == 10)
    }

    @Test("a paused phase is resumed and a failed one retried, each from its checkpoint")
    func resumesPausedAndRetriesFailed() throws {
        let (directory, store, id) = try submittedJob(named: "pages")
        defer { withExtendedLifetime(directory) {} }  // the store's files live until the test ends
        try store.startPhase(id, "convert")
        try store.recordProgress(id, "convert", processed: 3, total: 6, checkpoint: Array("2".utf8))
        try store.pausePhase(id, "convert", reason: .shutdown)
        var converted: [UInt64] = []

        #expect(throws: PageFailed.self) {
            try convertPages(of: id, pages: 6, in: store) { page in
                if page == 4 { throw PageFailed() }
                converted.append(page)
            }
        }
        #expect(converted == [3], "the paused phase resumed after its checkpoint")
        try store.failPhase(id, "convert", error: "page 4 cannot be read")
        #expect(try store.job(id)?.status == .failed)

        try convertPages(of: id, pages: 6, in: store) { converted.append($0) }

        #expect(converted == [3, 4, 5], "the retry went on from the checkpoint")
        let done = try #require(try store.job(id))
        #expect(done.status == .completed)
        #expect(done.phases[0].attempts == 2, "the start and the retry; the resume is not an attempt")
    }

    @Test("a job the user holds is not converted until it is released")
    func holdRefusesUntilRelease() throws {
        let (directory, store, id) = try submittedJob(named: "held")
        defer { withExtendedLifetime(directory) {} }  // the store's files live until the test ends
        try store.hold(id)
        var converted: [UInt64] = []

        let refusal = #expect(throws: StoreError.self) {
            try convertPages(of: id, pages: 3, in: store) { converted.append($0) }
        }
        #expect(refusal?.category == .conflict)
        #expect(converted.isEmpty)
        #expect(try store.job(id)?.activity == .held)

        try store.release(id)
        try convertPages(of: id, pages: 3, in: store) { converted.append($0) }

        #expect(converted == [0, 1, 2])
        #expect(try store.job(id)?.status == .completed)
    }
}
