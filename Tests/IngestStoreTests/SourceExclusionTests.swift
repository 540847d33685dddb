import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

/// Jobs over one source never run at once: a claim passes over a job while a live runner
/// holds another job over the same source (the built-in pipeline's jobs share their
/// source's documents and chunks), and takes it once that one's runner is gone.
struct SourceExclusionTests {
    /// Two jobs over `/shared` and one over `/other`, with `first` leased to `holder`.
    private func withJobs(
        leasedTo holder: (RunnerIdentity) -> RunnerIdentity?,
        _ body: (JobStore, RunnerIdentity, _ first: JobID, _ second: JobID, _ other: JobID) throws -> Void
    ) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let first = try JobID(validating: "first"), second = try JobID(validating: "second")
                let other = try JobID(validating: "other")
                _ = try store.submit(id: first, source: "/shared")
                _ = try store.submit(id: second, source: "/shared")
                _ = try store.submit(id: other, source: "/other")
                let me = try #require(RunnerIdentity.current())
                if let lease = holder(me) { try store.plantLease(first, lease) }
                try body(store, me, first, second, other)
            }
        }
    }

    @Test("a live runner on a job over the same source refuses the claim and writes nothing")
    func liveRunnerOnTheSourceRefuses() throws {
        let parent = try #require(RunnerIdentity.parentProcess())
        try withJobs(leasedTo: { _ in parent }) { store, me, first, second, other in
            let before = try store.journal(second).count
            let result = try store.write { batch in try batch.claim(second, for: me) }
            #expect(result == .refused(.sourceBusy(first)))
            #expect(try store.journal(second).count == before)
            #expect(try store.job(second)?.lease == nil)
            // A job over another source is not held back.
            let otherResult = try store.write { batch in try batch.claim(other, for: me) }
            #expect(otherResult == .claimed(previousHolderDiedThisBoot: false))
        }
    }

    @Test("another runner of this process holding the source's job refuses the claim too")
    func thisProcessOnTheSourceRefuses() throws {
        try withJobs(leasedTo: { $0 }) { store, me, first, second, _ in
            let result = try store.write { batch in try batch.claim(second, for: me) }
            #expect(result == .refused(.sourceBusy(first)))
        }
    }

    @Test("a dead holder, a released lease, or exclusiveSource off: the claim goes through")
    func deadHolderOrRuleOffClaims() throws {
        // A runner that died in this boot (same pid, other start time).
        try withJobs(leasedTo: { RunnerIdentity(bootID: $0.bootID, pid: $0.pid, startTicks: $0.startTicks + 1) }) { store, me, _, second, _ in
            let result = try store.write { batch in try batch.claim(second, for: me) }
            #expect(result == .claimed(previousHolderDiedThisBoot: false))
        }
        // The claimant itself is that dead runner (tools/bench plants leases so): a lease
        // counts by its holder's liveness, not by whose it is.
        try withJobs(leasedTo: { RunnerIdentity(bootID: $0.bootID, pid: $0.pid, startTicks: $0.startTicks + 1) }) { store, me, _, second, _ in
            let dead = RunnerIdentity(bootID: me.bootID, pid: me.pid, startTicks: me.startTicks + 1)
            let result = try store.write { batch in try batch.claim(second, for: dead) }
            #expect(result == .claimed(previousHolderDiedThisBoot: false))
        }
        // No lease at all.
        try withJobs(leasedTo: { _ in nil }) { store, me, _, second, _ in
            let result = try store.write { batch in try batch.claim(second, for: me) }
            #expect(result == .claimed(previousHolderDiedThisBoot: false))
        }
        // A live holder, with the rule turned off (a host whose jobs share nothing by source).
        let parent = try #require(RunnerIdentity.parentProcess())
        try withJobs(leasedTo: { _ in parent }) { store, me, _, second, _ in
            let result = try store.write { batch in try batch.claim(second, for: me, exclusiveSource: false) }
            #expect(result == .claimed(previousHolderDiedThisBoot: false))
        }
    }
}
