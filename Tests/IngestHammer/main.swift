// ingest-hammer: the child process of the crash tests.
//
// It drives jobs through their phases one write at a time — start, progress, pause,
// resume, fail, retry, complete — and after each write returns it prints
// `ack <job> <step>`, where step counts the job's writes (journal lines plus items
// processed; each write adds exactly one). The parent kills it with SIGKILL at random
// moments and checks that the store holds every acknowledged step.
//
// Usage: ingest-hammer STORE SEED

import Foundation
import IngestCore
import IngestStore

/// A small deterministic generator (SplitMix64), so that a seed reproduces a run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Items per phase before it completes.
let itemsPerPhase: UInt64 = 10

func acknowledge(_ id: JobID, _ step: UInt64) {
    let line = "ack \(id) \(step)\n"
    // Unbuffered: the parent must see each line as soon as the write is acknowledged.
    _ = line.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
}

/// The job's step count as the store has it.
func step(of job: JobSnapshot, in store: JobStore) throws -> UInt64 {
    UInt64(try store.journal(job.id).count) + job.phases.reduce(0) { $0 + $1.processed }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let seed = UInt64(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: ingest-hammer STORE SEED\n".utf8))
    exit(64)
}
var random = SplitMix64(state: seed)

do {
    let store = try JobStore.open(at: arguments[1])
    while true {
        // Unfinished jobs come from the status index, so each step stays cheap as jobs pile up.
        let unfinished = try store.jobs(status: .running) + store.jobs(status: .failed) + store.jobs(status: .pending)
        let job: JobSnapshot
        if let first = unfinished.first {
            job = first
        } else {
            let count = try store.countsByStatus().values.reduce(0, +)
            let id = try JobID(validating: "hammer-\(String(count + 1))")
            _ = try store.submit(id: id, source: "/hammer/\(count + 1)")
            guard let created = try store.job(id) else { exit(70) }
            acknowledge(id, try step(of: created, in: store))
            continue
        }
        guard let ordinal = job.currentPhase else { continue }
        let name = job.record.plan.phases[ordinal].name
        let phase = job.phases[ordinal]
        switch phase.status {
        case .notStarted:
            try store.startPhase(job.id, name)
        case .paused:
            try store.resumePhase(job.id, name)
        case .failed:
            _ = try store.retryFailedPhases(job.id)
        case .running where phase.processed >= itemsPerPhase:
            try store.completePhase(job.id, name)
        case .running:
            let roll = random.next() % 100
            if roll < 8 {
                try store.pausePhase(job.id, name, reason: .shutdown)
            } else if roll < 12 {
                try store.failPhase(job.id, name, error: "injected failure \(roll)")
            } else {
                let processed = phase.processed + 1
                var checkpoint = [UInt8](repeating: 0, count: 8)
                withUnsafeBytes(of: processed.bigEndian) { checkpoint = Array($0) }
                try store.recordProgress(
                    job.id, name, processed: processed, total: itemsPerPhase, checkpoint: checkpoint
                )
            }
        case .completed:
            continue
        }
        guard let after = try store.job(job.id) else { exit(70) }
        acknowledge(job.id, try step(of: after, in: store))
    }
} catch {
    FileHandle.standardError.write(Data("ingest-hammer: \(error)\n".utf8))
    exit(70)
}
