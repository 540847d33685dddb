internal import IngestCore
internal import IngestStore

/// The contents of the runner's write transactions. Pure functions of the batch and their
/// arguments, because a transaction may run again after the map grows.
enum GroupCommit {
    struct Outcome: Sendable {
        var phases: [PhaseState]
        var completed: [Int]
        var held: Bool
        var failed: (Int, String)?
    }

    /// Writes finished items phase by phase: each done item's outputs (through its worker),
    /// the items it hands on, its receipt, the consumed queue entry; then each phase's
    /// progress; then completes the phases in `completable` whose predecessor is completed.
    static func apply(
        batch: StoreBatch, job: JobContext, taken: [[FinishedItem]], completable: [Int], workers: [ErasedWorker],
        maxItemFailures: UInt64, writeOutputs: Bool = true
    ) throws -> Outcome {
        guard let (record, initial) = try batch.load(job.id) else { throw StoreError.jobNotFound(job.id) }
        var phases = initial
        var failed: (Int, String)?
        // A phase that failed (in this group or before) takes no more items: they are dropped
        // uncommitted, and a retry redoes them from the checkpoint.
        for (ordinal, items) in taken.enumerated() where !items.isEmpty && phases[ordinal].status.isActive && failed == nil {
            var state = phases[ordinal]
            var lastReason: String?
            if writeOutputs { try writeDone(items, phase: ordinal, workers: workers, batch: batch, job: job) }
            for finished in items {
                if case .failed(let reason) = finished.result {
                    try batch.putReceipt(job.id, phase: ordinal, itemKey: finished.item.key, failure: reason)
                    state.itemsFailed += 1
                    lastReason = reason
                } else {
                    try batch.putReceipt(job.id, phase: ordinal, itemKey: finished.item.key, failure: nil)
                }
                state.processed += 1
                if let sequence = finished.queueSequence {
                    try batch.dequeue(job.id, phase: ordinal, sequence: sequence)
                } else {
                    state.checkpoint = finished.item.key
                }
            }
            if state.status.isActive {
                try batch.recordProgress(
                    job.id, phase: ordinal, processed: state.processed, total: nil, itemsFailed: state.itemsFailed,
                    checkpoint: state.checkpoint
                )
            }
            if state.itemsFailed > maxItemFailures, state.status == .running, failed == nil {
                let latest = lastReason.map { "; the latest: \($0)" } ?? ""
                failed = (ordinal, "\(state.itemsFailed) items failed, more than the limit of \(maxItemFailures)\(latest)")
            }
            phases = try batch.load(job.id)?.phases ?? phases
        }
        if let (ordinal, error) = failed {
            phases = try batch.transition(job.id, phase: ordinal, to: .failed, error: error).phases
        }
        var completed: [Int] = []
        for ordinal in completable.sorted() where failed == nil {
            guard phases[ordinal].status == .running else { continue }
            guard ordinal == 0 || phases[ordinal - 1].status == .completed else { continue }
            try batch.recordProgress(
                job.id, phase: ordinal, processed: phases[ordinal].processed, total: phases[ordinal].processed
            )
            try workers[ordinal].phaseWillComplete(job, batch)
            phases = try batch.transition(job.id, phase: ordinal, to: .completed).phases
            completed.append(ordinal)
            // The next phase now knows how much input it gets: what it did plus what waits.
            let next = ordinal + 1
            if next < phases.count, phases[next].status.isActive {
                let waiting = try batch.queueLength(job.id, phase: next)
                try batch.recordProgress(
                    job.id, phase: next, processed: phases[next].processed,
                    total: phases[next].processed + UInt64(waiting)
                )
                phases = try batch.load(job.id)?.phases ?? phases
            }
        }
        let held = try batch.load(job.id)?.record.held ?? record.held
        return Outcome(phases: phases, completed: completed, held: held, failed: failed)
    }

    /// Writes the done items' outputs through their phase's worker, in one call for the
    /// group, and queues what they hand to the next phase.
    private static func writeDone(
        _ items: [FinishedItem], phase ordinal: Int, workers: [ErasedWorker], batch: StoreBatch, job: JobContext
    ) throws {
        let done = items.compactMap { finished -> (output: any Sendable, item: WorkItem)? in
            if case .done(let output) = finished.result { return (output, finished.item) }
            return nil
        }
        guard !done.isEmpty else { return }
        let handedOn = try workers[ordinal].commitGroup(done, job, batch)
        guard ordinal + 1 < job.plan.count else { return }
        for items in handedOn {
            for next in items { try batch.enqueue(job.id, phase: ordinal + 1, payload: next.encoded) }
        }
    }

    /// The second half of the `splitCommit` fault: the outputs alone.
    static func writeOutputs(batch: StoreBatch, job: JobContext, taken: [[FinishedItem]], workers: [ErasedWorker]) throws {
        for (ordinal, items) in taken.enumerated() {
            try writeDone(items, phase: ordinal, workers: workers, batch: batch, job: job)
        }
    }

    /// Starts a claimed job's phases: paused ones (for any reason but the user's) resume,
    /// and every phase not started whose predecessor has started starts — they stream.
    static func start(batch: StoreBatch, job: JobID) throws -> [PhaseState] {
        guard var (_, phases) = try batch.load(job) else { throw StoreError.jobNotFound(job) }
        for ordinal in phases.indices {
            let state = phases[ordinal]
            let predecessorStarted = ordinal == 0 || [.running, .paused, .completed].contains(phases[ordinal - 1].status)
            if state.status == .paused, state.pauseReason != .user {
                phases = try batch.transition(job, phase: ordinal, to: .running).phases
            } else if state.status == .notStarted, predecessorStarted {
                phases = try batch.transition(job, phase: ordinal, to: .running).phases
            }
        }
        return phases
    }

    /// Ends a job's run: fails the phase a worker failed, or pauses the running phases with
    /// the stop's reason, and releases the lease.
    static func finish(
        batch: StoreBatch, job: JobContext, failure: (Int, String)?, pauseReason: PauseReason?, runner: RunnerIdentity
    ) throws -> [PhaseState] {
        guard var (record, phases) = try batch.load(job.id) else { throw StoreError.jobNotFound(job.id) }
        if let (ordinal, error) = failure, phases[ordinal].status.isActive {
            (record, phases) = try batch.transition(job.id, phase: ordinal, to: .failed, error: error)
        }
        let status = StatusRules.jobStatus(of: phases.map(\.status))
        // A run stopping for a user pause that the user lifted again meanwhile (`ingest
        // resume` landed between the run seeing the hold and this transaction) leaves the
        // phases the resume set running as they are, for the next run: pausing them with
        // reason `user` would undo the resume, and no runner resumes a user pause.
        let holdLifted = pauseReason == .user && !record.held
        if !status.isTerminal && !holdLifted {
            for ordinal in phases.indices where phases[ordinal].status == .running {
                phases = try batch.transition(job.id, phase: ordinal, to: .paused, reason: pauseReason ?? .shutdown).phases
            }
        }
        try batch.releaseLease(job.id, for: runner)
        return phases
    }
}
