import IngestCore
import IngestRunner
import IngestStore
import Testing

/// Damage found while a run goes on is the store's, not the job's: the run stops with it
/// as its error and writes nothing more — no failure, no pause, no lease release — since
/// a write would build on the damage.
@Suite struct StoreDamageTests {
    @Test("a worker meeting a damaged record ends the run with the damage; the job is not marked failed and nothing more is written")
    func damageStopsTheRun() async throws {
        let host = try Host()
        let id = try host.submit("damage", n: 400)
        let fetch = SquareFetch(hook: { value in
            if value == 300 { throw StoreError.damagedRecord(in: "host", key: bytes(value), "a test stands in for damage") }
            return nil
        })
        let report = try await host.runner(testConfiguration(commitItems: 16), fetch: fetch).boundedRun(stop: StopController())

        let error = try #require(report.error as? StoreError, "the run did not end with the store's damage: \(String(describing: report.error))")
        #expect(error.category == .damaged)
        #expect(report.outcome(of: id) == nil, "the damaged job has no outcome of its own")
        let job = try host.snapshot(id)
        #expect(!job.phases.contains { $0.status == .failed }, "the job was marked failed: \(job.phases.map(\.status))")
        #expect(job.lease != nil, "the lease was released: a write after the damage")
        let failures = try host.store.journal(id).filter { entry in
            if case .transition(_, _, let to, _, _) = entry.event { return to == .failed || to == .paused }
            return false
        }
        #expect(failures.isEmpty, "a failure or pause was journaled after the damage: \(failures)")
        #expect(job.phases[0].processed < 400, "the run went on past the damage")
    }
}
