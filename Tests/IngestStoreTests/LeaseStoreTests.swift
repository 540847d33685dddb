import Foundation
import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

/// Claims and leases: no clock involved, a dead runner is seen at once, and a power cut
/// (a lease from another boot) costs no attempt while a crash in this boot does.
struct LeaseStoreTests {
    private func withClaimableJob(_ body: (JobStore, JobID, RunnerIdentity) throws -> Void) throws {
        try StoreFixture.withDirectory { directory in
            try StoreFixture.withStore(at: directory.appending("store")) { store in
                let id = try JobID(validating: "leased")
                _ = try store.submit(id: id, source: "/src")
                let me = try #require(RunnerIdentity.current())
                try body(store, id, me)
            }
        }
    }

    @Test func thisProcessIsLiveAndAFinishedProcessIsNot() throws {
        let me = try #require(RunnerIdentity.current())
        #expect(me.isLive)
        // Same pid, other start time: the pid was reused by a newer process.
        #expect(!RunnerIdentity(bootID: me.bootID, pid: me.pid, startTicks: me.startTicks + 1).isLive)
        // A process that ran and ended.
        let ended = try ChildProcess.run("/bin/sh", ["-c", "echo $$"])
        let pid = try #require(Int32(ended.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!RunnerIdentity(bootID: me.bootID, pid: pid, startTicks: 1).isLive)
        // Another boot: never live, whatever the pid.
        #expect(!RunnerIdentity(bootID: "00000000-0000-0000-0000-000000000000", pid: me.pid, startTicks: me.startTicks).isLive)
    }

    @Test("start ticks: field 22 counted from the last ')', whatever the command name holds")
    func startTicksParsing() throws {
        func parse(_ line: String) -> UInt64? {
            Array(line.utf8).withUnsafeBufferPointer { RunnerIdentity.parseStartTicks($0) }
        }
        let tail = (3...21).map { "\($0)" }.joined(separator: " ") + " 987654 23 24\n"
        #expect(parse("42 (ingest) " + tail) == 987_654)
        #expect(parse("42 (a) b (c) d) " + tail) == 987_654, "a name with spaces and parentheses")
        #expect(parse("42 (x) 3 4 5\n") == nil, "too few fields")
        #expect(parse("42 ingest 1 2") == nil, "no name")
        #expect(parse("42 (x) " + (3...21).map { "\($0)" }.joined(separator: " ") + " 12ab 23\n") == nil, "not a number")
        // This process, against an independent reading of the same file.
        let text = try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
        let fields = text[text.index(after: try #require(text.lastIndex(of: ")")))...].split(separator: " ")
        #expect(RunnerIdentity.startTicks(of: getpid()) == UInt64(fields[19]))
        #expect(RunnerIdentity.startTicks(of: Int32.max) == nil)
    }

    @Test("a runner found gone is remembered as gone; a live one is read from /proc every time")
    func deadRunnersAreRemembered() throws {
        let me = try #require(RunnerIdentity.current())
        #expect(RunnerIdentity.lookUpStartTicks(of: Int32.max) == .noSuchProcess)
        #expect(RunnerIdentity.lookUpStartTicks(of: me.pid) == .found(me.startTicks))

        // Same pid, another start time: a process that ended and whose pid is ours now. The
        // list is process-wide and other tests plant dead leases too: a start time of its own.
        let reused = RunnerIdentity(bootID: me.bootID, pid: me.pid, startTicks: me.startTicks + .random(in: 1_000_000...9_000_000))
        #expect(!DeadRunners.shared.contains(pid: reused.pid, startTicks: reused.startTicks))
        #expect(!reused.isLive)
        #expect(DeadRunners.shared.contains(pid: reused.pid, startTicks: reused.startTicks))
        #expect(!reused.isLive)

        for _ in 0..<3 { #expect(me.isLive) }
        #expect(!DeadRunners.shared.contains(pid: me.pid, startTicks: me.startTicks), "a live runner is never remembered")
    }

    @Test("the dead-runner list is bounded and drops its oldest entry")
    func deadRunnersAreBounded() {
        let dead = DeadRunners(capacity: 3)
        for pid: Int32 in 1...3 { dead.remember(pid: pid, startTicks: 7) }
        dead.remember(pid: 2, startTicks: 7)  // already there: nothing moves
        #expect((1...3).allSatisfy { dead.contains(pid: $0, startTicks: 7) })
        dead.remember(pid: 4, startTicks: 7)
        #expect(!dead.contains(pid: 1, startTicks: 7))
        #expect([2, 3, 4].allSatisfy { dead.contains(pid: $0, startTicks: 7) })
        #expect(!dead.contains(pid: 4, startTicks: 8))
    }

    @Test func aLiveLeaseRefusesTheClaimAndWritesNothing() throws {
        try withClaimableJob { store, id, me in
            let parent = try #require(RunnerIdentity.parentProcess())
            try store.plantLease(id, parent)
            let before = try store.journal(id).count
            let result = try store.write { batch in try batch.claim(id, for: me) }
            #expect(result == .refused(.leasedByLiveRunner(parent)))
            #expect(try store.journal(id).count == before)
            #expect(try store.job(id)?.lease == parent)
        }
    }

    @Test func aRunnerThatDiedInThisBootCostsAnAttempt() throws {
        try withClaimableJob { store, id, me in
            try store.plantLease(id, RunnerIdentity(bootID: me.bootID, pid: me.pid, startTicks: me.startTicks + 1))
            let result = try store.write { batch in try batch.claim(id, for: me) }
            #expect(result == .claimed(previousHolderDiedThisBoot: true))
            let job = try #require(try store.job(id))
            #expect(job.record.attempts == 1)
            #expect(job.lease == me)
            #expect(job.activity == .active)
        }
    }

    @Test func aPowerCutCostsNoAttempt() throws {
        try withClaimableJob { store, id, me in
            try store.plantLease(id, RunnerIdentity(bootID: "earlier-boot", pid: me.pid, startTicks: me.startTicks))
            let result = try store.write { batch in try batch.claim(id, for: me) }
            #expect(result == .claimed(previousHolderDiedThisBoot: false))
            #expect(try store.job(id)?.record.attempts == 0)
        }
    }

    @Test func heldAndTerminalJobsAreNotClaimed() throws {
        try withClaimableJob { store, id, me in
            try store.hold(id)
            #expect(try store.write { batch in try batch.claim(id, for: me) } == .refused(.held))
            try store.release(id)
            try store.completePhase(id, "load")
            for phase in ["chunk", "embed", "index"] {
                try store.startPhase(id, phase)
                try store.completePhase(id, phase)
            }
            #expect(try store.write { batch in try batch.claim(id, for: me) } == .refused(.terminal))
            let missing = try JobID(validating: "missing")
            #expect(try store.write { batch in try batch.claim(missing, for: me) } == .refused(.missing))
        }
    }

    @Test func releasingALeaseLeavesOtherHoldersAlone() throws {
        try withClaimableJob { store, id, me in
            _ = try store.write { batch in try batch.claim(id, for: me) }
            let other = RunnerIdentity(bootID: me.bootID, pid: me.pid, startTicks: me.startTicks + 5)
            try store.write { batch in try batch.releaseLease(id, for: other) }
            #expect(try store.job(id)?.lease == me)
            try store.write { batch in try batch.releaseLease(id, for: me) }
            #expect(try store.job(id)?.lease == nil)
            #expect(try StoreVerifier.verify(store).isEmpty)
        }
    }
}
