import Foundation
import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

/// SIGKILL at random moments while a child process hammers phase updates: after every
/// kill the store opens, every record decodes, `by_status` agrees with the phases, and the
/// last update the child acknowledged is there.
@Suite(.serialized)
struct CrashTests {
    static let kills = 25

    @Test func killedWriterLosesNoAcknowledgedUpdate() async throws {
        try await OffPool.run { try Self.killRounds() }
    }

    private static func killRounds() throws {
        let directory = TemporaryDirectory("crash")
        let storePath = directory.appending("store")
        var generator = SystemRandomNumberGenerator()
        var lastAck: Ack?
        var totalAcks = 0
        for round in 0..<kills {
            let threshold = Int.random(in: 1...150, using: &generator)
            let child = try HammerChild(store: storePath, seed: UInt64(round) + 1)
            let reached = child.waitForAcks(atLeast: threshold, timeout: 60)
            child.kill()
            #expect(reached, "round \(round): the child acknowledged only \(child.ackCount) of \(threshold) updates")
            if let ack = child.lastAck { lastAck = ack }
            totalAcks += child.ackCount
            let problems = try CrashCheck.problems(storePath: storePath, lastAck: lastAck)
            #expect(problems.isEmpty, "round \(round), after \(child.ackCount) acks: \(problems)")
        }
        #expect(totalAcks >= kills, "the child made too little progress to test anything")
    }

    /// The negative controls: the same checks must catch a store that lost its last
    /// commits (rolled back to an earlier copy) and one whose index was tampered with.
    @Test func checkDetectsLostCommitsAndTamperedIndex() async throws {
        try await OffPool.run { try Self.negativeControls() }
    }

    private static func negativeControls() throws {
        let directory = TemporaryDirectory("crash-control")
        let storePath = directory.appending("store")
        let snapshotPath = directory.appending("snapshot")

        // Let the child write, take a consistent copy, let it write at least two more acks, kill it.
        let child = try HammerChild(store: storePath, seed: 99)
        #expect(child.waitForAcks(atLeast: 20, timeout: 60))
        try FileManager.default.createDirectory(atPath: snapshotPath, withIntermediateDirectories: true)
        try copy(storePath, to: snapshotPath)
        let acksAtCopy = child.ackCount
        #expect(child.waitForAcks(atLeast: acksAtCopy + 60, timeout: 60))
        child.kill()
        let ack = try #require(child.lastAck)
        #expect(try CrashCheck.problems(storePath: storePath, lastAck: ack).isEmpty)

        // Lost commits: the earlier copy stands for a store that dropped acknowledged writes.
        let lost = try CrashCheck.problems(storePath: snapshotPath, lastAck: ack)
        #expect(lost.contains { $0.contains("lost") }, "a rolled-back store passed the check: \(lost)")

        // Tampered index: a job listed under a status its phases do not have.
        try tamperStatusIndex(storePath, job: ack.job)
        let tampered = try CrashCheck.problems(storePath: storePath, lastAck: ack)
        #expect(tampered.contains { $0.contains("by_status") }, "a tampered index passed the check: \(tampered)")
    }

    private static func copy(_ storePath: String, to destination: String) throws {
        let store = try JobStore.open(at: storePath, mode: .readOnly)
        try store.environment.copyCompacted(to: destination)
    }

    private static func tamperStatusIndex(_ storePath: String, job: JobID) throws {
        let store = try JobStore.open(at: storePath)
        let status = try #require(try store.job(job)).status
        let wrong: JobStatus = status == .failed ? .completed : .failed
        try store.write { batch in
            try batch.transaction.delete(store.databases.byStatus, Keys.byStatus(status, job))
            try batch.transaction.put(store.databases.byStatus, Keys.byStatus(wrong, job), [])
        }
    }
}

/// One acknowledged write: the job and its step count after the write.
struct Ack: Sendable {
    let job: JobID
    let step: UInt64
}

/// The checks made after every kill.
enum CrashCheck {
    static func problems(storePath: String, lastAck: Ack?) throws -> [String] {
        let store = try JobStore.open(at: storePath, mode: .readOnly)
        var problems = try StoreVerifier.verify(store).map(\.description)
        guard let ack = lastAck else { return problems }
        guard let job = try store.job(ack.job) else {
            return problems + ["lost the acknowledged job \(ack.job)"]
        }
        let stored = UInt64(try store.journal(ack.job).count) + job.phases.reduce(0) { $0 + $1.processed }
        if stored < ack.step {
            problems.append("lost acknowledged updates of \(ack.job): the store is at step \(stored), the child acknowledged \(ack.step)")
        }
        // The child may have committed one more write before it could print the ack, never two.
        if stored > ack.step + 1 {
            problems.append("\(ack.job) is at step \(stored), more than one past the last acknowledged \(ack.step)")
        }
        return problems
    }
}

/// The `ingest-hammer` child process and the acknowledgements it prints.
final class HammerChild: @unchecked Sendable {
    private let process = Process()
    private let condition = NSCondition()
    private var acks: [Ack] = []
    private var finished = false

    init(store: String, seed: UInt64) throws {
        process.executableURL = URL(fileURLWithPath: ChildProcess.executable("ingest-hammer"))
        process.arguments = [store, String(seed)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try ChildProcess.launch(process)
        let handle = output.fileHandleForReading
        Thread.detachNewThread { [self] in readLines(handle) }
    }

    private func readLines(_ handle: FileHandle) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                let parts = line.split(separator: " ")
                if parts.count == 3, parts[0] == "ack", let job = try? JobID(validating: String(parts[1])),
                    let step = UInt64(parts[2])
                {
                    condition.lock()
                    acks.append(Ack(job: job, step: step))
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the child acknowledged `count` writes, it exited, or `timeout` seconds passed.
    func waitForAcks(atLeast count: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: TestTime.seconds(timeout))
        condition.lock()
        defer { condition.unlock() }
        while acks.count < count && !finished {
            if !condition.wait(until: deadline) { break }
        }
        return acks.count >= count
    }

    /// SIGKILL, then waits (bounded) for the process to end and its output to be read.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = ChildEnd.waitForExit(process, seconds: 30)
        let deadline = Date(timeIntervalSinceNow: TestTime.seconds(30))
        condition.lock()
        while !finished && condition.wait(until: deadline) {}
        condition.unlock()
    }

    var ackCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return acks.count
    }

    var lastAck: Ack? {
        condition.lock()
        defer { condition.unlock() }
        return acks.last
    }
}
