public import IngestCore
internal import LMDBKit
internal import Logging

extension JobStore {
    /// Runs `body` in one write transaction and commits everything it did, or nothing.
    ///
    /// When the map fills up it grows and `body` runs again, so `body` must have no effects
    /// outside the batch that cannot be repeated.
    /// - Throws: What `body` throws, or `StoreError` (`.noSpace` when the disk or the
    ///   map's maximum is full).
    public func write<R>(_ body: (StoreBatch) throws -> R) throws -> R {
        guard mode == .readWrite else { throw StoreError.readOnly(path) }
        let now = clock()
        do {
            return try environment.write { txn in
                try body(StoreBatch(transaction: txn, store: self, now: now))
            }
        } catch let error as LMDBError {
            throw StoreError.lmdb(path, error)
        }
    }

    /// Creates a job for `source`, or returns the existing one with the same id and inputs.
    /// - Parameters:
    ///   - id: The id to use; a time-ordered one is generated when `nil`.
    ///   - source: What the job ingests.
    ///   - plan: Its phases.
    ///   - settings: Opaque settings every run of the job will use.
    /// - Returns: The job's id and whether it was created now.
    /// - Throws: `StoreError` when `id` names a job with another source, plan or settings
    ///   (a conflict), or when the write fails.
    public func submit(
        id: JobID? = nil, source: String, plan: Plan = .standard, settings: [UInt8] = []
    ) throws -> (id: JobID, created: Bool) {
        let now = clock()
        let (jobID, created) = try write { batch in
            guard let id else {
                // A generated id names a new job; on the rare collision, draw again.
                var fresh = JobID.generate(at: now)
                while try batch.load(fresh) != nil { fresh = JobID.generate(at: now) }
                return (fresh, try batch.submit(fresh, source: source, plan: plan, settings: settings))
            }
            return (id, try batch.submit(id, source: source, plan: plan, settings: settings))
        }
        if created { logger.info("job submitted", metadata: ["job": "\(jobID)", "source": "\(source)"]) }
        return (jobID, created)
    }

    /// Starts a phase that has not started (`not_started → running`); counts as an attempt.
    ///
    /// A phase may start while the one before it still runs: phases stream.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase's status
    ///   does not allow the move (nothing is written then), or when the write fails.
    @discardableResult
    public func startPhase(_ id: JobID, _ phase: String) throws -> JobSnapshot {
        try move(id, phase, expecting: [.notStarted], to: .running)
    }

    /// Pauses a running phase (or holds one not yet started) with `reason`.
    ///
    /// For a user pause prefer ``hold(_:)``: it also sets the job's hold flag, which keeps
    /// runners away until ``release(_:)``.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    ///   - reason: Why it pauses; a runner resumes every reason but `user` on its own.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase's status
    ///   does not allow the move (nothing is written then), or when the write fails.
    @discardableResult
    public func pausePhase(_ id: JobID, _ phase: String, reason: PauseReason) throws -> JobSnapshot {
        try move(id, phase, expecting: [.running, .notStarted], to: .paused, reason: reason)
    }

    /// Resumes a paused phase (`paused → running`); not an attempt.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase's status
    ///   does not allow the move (nothing is written then), when the user holds the job, or when the write fails.
    @discardableResult
    public func resumePhase(_ id: JobID, _ phase: String) throws -> JobSnapshot {
        try move(id, phase, expecting: [.paused], to: .running)
    }

    /// Completes a running phase; its predecessor must be completed and its input consumed.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase's status
    ///   does not allow the move (nothing is written then), or when the write fails.
    @discardableResult
    public func completePhase(_ id: JobID, _ phase: String) throws -> JobSnapshot {
        try move(id, phase, expecting: [.running], to: .completed)
    }

    /// Fails a running or paused phase with the error that stopped it; the job is then failed.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    ///   - error: Why, for a person; kept as the phase's last error.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase's status
    ///   does not allow the move (nothing is written then), or when the write fails.
    @discardableResult
    public func failPhase(_ id: JobID, _ phase: String, error: String) throws -> JobSnapshot {
        try move(id, phase, expecting: [.running, .paused], to: .failed, error: error)
    }

    /// Restarts a failed phase from its checkpoint (`failed → running`); counts as an attempt.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase's status
    ///   does not allow the move (nothing is written then), when the user holds the job, or when the write fails.
    @discardableResult
    public func retryPhase(_ id: JobID, _ phase: String) throws -> JobSnapshot {
        try move(id, phase, expecting: [.failed], to: .running)
    }

    /// Records a running phase's progress and checkpoint in one write transaction; not a
    /// transition, so no journal line. See ``StoreBatch/recordProgress(_:phase:processed:total:itemsFailed:checkpoint:)``.
    /// - Parameters:
    ///   - id: The job.
    ///   - phase: The phase's name in the job's plan.
    ///   - processed: Items finished so far (done or failed), over all runs.
    ///   - total: Items the phase will process, once known; `nil` leaves it as it is.
    ///   - itemsFailed: Items that failed so far; `nil` leaves it as it is.
    ///   - checkpoint: Where to resume; `nil` leaves it as it is.
    /// - Throws: `StoreError` when there is no such job or phase, when the phase is not
    ///   running or paused, or when the write fails.
    public func recordProgress(
        _ id: JobID, _ phase: String, processed: UInt64, total: UInt64? = nil,
        itemsFailed: UInt64? = nil, checkpoint: [UInt8]? = nil
    ) throws {
        try write { batch in
            let ordinal = try batch.ordinal(of: phase, in: id)
            try batch.recordProgress(
                id, phase: ordinal, processed: processed, total: total, itemsFailed: itemsFailed, checkpoint: checkpoint
            )
        }
    }

    /// The user pause of `ingest pause`: sets the job's hold flag and pauses its running
    /// phases with reason `user` (see ``StoreBatch/hold(_:)``). No runner claims a held job;
    /// one running it notices within its hold-poll interval, commits and stops.
    /// - Parameter id: The job.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job, or it is completed or failed.
    @discardableResult
    public func hold(_ id: JobID) throws -> JobSnapshot {
        try writeAndSnapshot(id) { batch in try batch.hold(id) }
    }

    /// The user resume of `ingest resume`: clears the hold flag and sets the phases the user
    /// paused running again, for the next run to pick up (see ``StoreBatch/release(_:)``).
    /// - Parameter id: The job.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job.
    @discardableResult
    public func release(_ id: JobID) throws -> JobSnapshot {
        try writeAndSnapshot(id) { batch in try batch.release(id) }
    }

    /// Retries a failed job: every failed phase goes back to running from its checkpoint,
    /// for the next run to pick up. Each retry counts as an attempt of its phase.
    /// - Parameter id: The job.
    /// - Returns: The job as it is after the change.
    /// - Throws: `StoreError` when there is no such job, no phase failed, or the user holds it.
    @discardableResult
    public func retryFailedPhases(_ id: JobID) throws -> JobSnapshot {
        try writeAndSnapshot(id) { batch in
            guard let (record, phases) = try batch.load(id) else { throw StoreError.jobNotFound(id) }
            if record.held { throw StoreError.held(id, action: "retry it") }
            let failed = phases.indices.filter { phases[$0].status == .failed }
            guard !failed.isEmpty else {
                let status = StatusRules.jobStatus(of: phases.lazy.map(\.status))
                throw StoreError.transition(id, .jobIsTerminal(status: status, action: "retry"))
            }
            for ordinal in failed { try batch.transition(id, phase: ordinal, to: .running) }
            return try batch.load(id) ?? (record, phases)
        }
    }

    private func move(
        _ id: JobID, _ phase: String, expecting allowed: Set<PhaseStatus>, to target: PhaseStatus,
        reason: PauseReason? = nil, error: String? = nil
    ) throws -> JobSnapshot {
        try writeAndSnapshot(id) { batch in
            let ordinal = try batch.ordinal(of: phase, in: id)
            if let (record, phases) = try batch.load(id) {
                if !allowed.contains(phases[ordinal].status) {
                    throw StoreError.transition(id, .illegal(phase: phase, from: phases[ordinal].status, to: target))
                }
                // Only `ingest resume` (release) lifts a user hold.
                if record.held && target == .running { throw StoreError.held(id, action: "run it") }
            }
            return try batch.transition(id, phase: ordinal, to: target, reason: reason, error: error)
        }
    }

    private func writeAndSnapshot(
        _ id: JobID, _ body: (StoreBatch) throws -> (record: JobRecord, phases: [PhaseState])
    ) throws -> JobSnapshot {
        try write { batch -> JobSnapshot in
            let (record, phases) = try body(batch)
            let holder = try lease(id, in: batch.transaction)
            return JobSnapshot(id: id, record: record, phases: phases, lease: holder)
        }
    }
}

extension StoreBatch {
    /// The ordinal of `phase` in `id`'s plan.
    /// - Throws: `StoreError` when there is no such job or phase.
    public func ordinal(of phase: String, in id: JobID) throws -> Int {
        guard let (record, _) = try load(id) else { throw StoreError.jobNotFound(id) }
        guard let ordinal = record.plan.ordinal(of: phase) else { throw StoreError.phaseNotFound(id, phase) }
        return ordinal
    }
}
