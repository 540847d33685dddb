public import IngestCore
public import LMDBKit

/// The changes made in one write transaction: `JobStore.write` commits them all or none.
///
/// Every change to a job goes through `change(_:_:)`, which rewrites the phase records
/// that changed, moves the job's `by_status` entry when its derived status changes, and
/// appends the journal lines — so nothing is ever half-applied. There is no way to set a
/// job's status: it follows from the phases. The one shortcut is progress on an active
/// phase, which can change nothing but that phase's record, and writes it alone.
///
/// A runner's group commit puts many items from many jobs into one batch.
public final class StoreBatch {
    /// The transaction, for a host's or the pipeline's own databases.
    public let transaction: WriteTransaction
    let store: JobStore
    /// The time stamped on everything this batch writes.
    public let now: Timestamp

    init(transaction: WriteTransaction, store: JobStore, now: Timestamp) {
        self.transaction = transaction
        self.store = store
        self.now = now
    }

    private var databases: StoreDatabases { store.databases }

    /// A job's record and phases as this transaction sees them, or `nil` when there is no such job.
    public func load(_ id: JobID) throws -> (record: JobRecord, phases: [PhaseState])? {
        try store.loadRecord(id, in: transaction)
    }

    /// Creates a job, or returns the existing one when a job with this id and the same
    /// source and settings exists: submitting twice never makes two jobs.
    /// - Returns: Whether the job was created now.
    /// - Throws: `StoreError.jobExists` when the id is taken by a different job.
    @discardableResult
    public func submit(_ id: JobID, source: String, plan: Plan, settings: [UInt8]) throws -> Bool {
        if let (existing, _) = try load(id) {
            guard existing.source == source, existing.plan == plan, existing.settings == settings else {
                throw StoreError.jobExists(id, source: existing.source)
            }
            return false
        }
        var record = JobRecord(source: source, plan: plan, createdAt: now, settings: settings)
        let phases = Array(repeating: PhaseState(), count: plan.count)
        for (ordinal, phase) in phases.enumerated() {
            try transaction.put(databases.phases, Keys.phase(id, ordinal: ordinal), PhaseRecord.encode(phase))
        }
        try transaction.put(databases.byStatus, Keys.byStatus(.pending, id), [])
        try appendJournal(id, &record, [.submitted])
        try transaction.put(databases.jobs, Keys.job(id), record.encoded())
        return true
    }

    /// Applies `body` to a job's record and phases and writes what changed, with the
    /// `by_status` move and the journal lines `body` adds.
    /// - Returns: The job as it is after the change.
    public func change(
        _ id: JobID,
        _ body: (inout JobRecord, inout [PhaseState], inout [JournalEntry.Event]) throws -> Void
    ) throws -> (record: JobRecord, phases: [PhaseState]) {
        guard var (record, phases) = try load(id) else { throw StoreError.jobNotFound(id) }
        let before = phases
        let statusBefore = StatusRules.jobStatus(of: before.lazy.map(\.status))
        let recordBefore = record
        var events: [JournalEntry.Event] = []
        try body(&record, &phases, &events)
        for ordinal in phases.indices where phases[ordinal] != before[ordinal] {
            try transaction.put(databases.phases, Keys.phase(id, ordinal: ordinal), PhaseRecord.encode(phases[ordinal]))
        }
        let statusAfter = StatusRules.jobStatus(of: phases.lazy.map(\.status))
        if statusAfter != statusBefore {
            try transaction.delete(databases.byStatus, Keys.byStatus(statusBefore, id))
            try transaction.put(databases.byStatus, Keys.byStatus(statusAfter, id), [])
        }
        if !events.isEmpty {
            record.updatedAt = now
            try appendJournal(id, &record, events)
        }
        if record != recordBefore {
            try transaction.put(databases.jobs, Keys.job(id), record.encoded())
        }
        return (record, phases)
    }

    /// Moves one phase to `target` if the transition rules allow it.
    /// - Throws: `StoreError` wrapping the `TransitionError` when they do not; nothing is written then.
    @discardableResult
    public func transition(
        _ id: JobID, phase ordinal: Int, to target: PhaseStatus, reason: PauseReason? = nil, error: String? = nil
    ) throws -> (record: JobRecord, phases: [PhaseState]) {
        try change(id) { record, phases, events in
            do throws(TransitionError) {
                try Transitions.check(plan: record.plan, phases: phases, ordinal: ordinal, to: target, reason: reason)
            } catch {
                throw StoreError.transition(id, error)
            }
            let from = phases[ordinal].status
            phases[ordinal] = Transitions.applying(target, to: phases[ordinal], reason: reason, error: error, at: now)
            events.append(.transition(phase: ordinal, from: from, to: target, reason: reason, error: error))
        }
    }

    /// Records a running (or pausing) phase's progress: items processed (done or failed), the total once
    /// known, items failed, and the checkpoint to resume from. Not a transition, so no
    /// journal line.
    public func recordProgress(
        _ id: JobID, phase ordinal: Int, processed: UInt64, total: UInt64?, itemsFailed: UInt64? = nil,
        checkpoint: [UInt8]? = nil
    ) throws {
        func apply(_ state: inout PhaseState) {
            state.processed = processed
            if let total { state.total = total }
            if let itemsFailed { state.itemsFailed = itemsFailed }
            if let checkpoint { state.checkpoint = checkpoint }
            state.updatedAt = now
        }
        // Progress is the store's most frequent write (every update of a host, every phase of
        // every group commit), and it changes one phase record: no status moves, no journal
        // line, no change to the job record. So an active phase of a job that exists is read,
        // changed and written alone, without decoding the job record and its other phases
        // (that was two thirds of a group commit's transaction; BENCHMARKS.md). Submit writes
        // a record for each phase of the plan, so one found at `ordinal` is in the plan (the
        // range check keeps a key's one ordinal byte from wrapping to another phase).
        let key = Keys.phase(id, ordinal: ordinal)
        if (0..<Plan.maxPhases).contains(ordinal), try transaction.contains(databases.jobs, Keys.job(id)),
            var state = try phaseState(at: key), state.status.isActive
        {
            apply(&state)
            try transaction.put(databases.phases, key, PhaseRecord.encode(state))
            return
        }
        // Anything else (no such job or phase, a phase not active) takes the general path,
        // which finds out which and says so.
        _ = try change(id) { record, phases, _ in
            guard phases.indices.contains(ordinal) else { throw StoreError.phaseNotFound(id, "#\(ordinal)") }
            // A paused phase still takes the progress of items a stopping runner drains.
            guard phases[ordinal].status.isActive else {
                throw StoreError.transition(id, .notRunning(phase: record.plan.phases[ordinal].name, status: phases[ordinal].status))
            }
            apply(&phases[ordinal])
        }
    }

    /// The phase record stored under `key`, decoded, or `nil` when there is none.
    private func phaseState(at key: [UInt8]) throws -> PhaseState? {
        try key.withUnsafeBytes { keyBytes in
            try transaction.withValue(in: databases.phases, forKey: keyBytes) { value in
                try value.map { try PhaseRecord.decode($0, storedAt: key) }
            }
        }
    }

    /// A user pause: sets the hold flag, pauses every running phase with reason `user`,
    /// marks already paused ones as paused by the user, and — when no phase is active —
    /// holds the current phase before it starts. Holding a held job changes nothing.
    /// - Throws: `StoreError` when the job is completed or failed.
    @discardableResult
    public func hold(_ id: JobID) throws -> (record: JobRecord, phases: [PhaseState]) {
        try change(id) { record, phases, events in
            let status = StatusRules.jobStatus(of: phases.lazy.map(\.status))
            if record.held { return }
            guard !status.isTerminal else {
                throw StoreError.transition(id, .jobIsTerminal(status: status, action: "pause"))
            }
            record.held = true
            events.append(.held)
            var pausedAny = false
            for ordinal in phases.indices where phases[ordinal].status.isActive {
                let from = phases[ordinal].status
                phases[ordinal] = Transitions.applying(.paused, to: phases[ordinal], reason: .user, error: nil, at: now)
                events.append(.transition(phase: ordinal, from: from, to: .paused, reason: .user, error: nil))
                pausedAny = true
            }
            if !pausedAny, let current = StatusRules.currentPhase(of: phases.map(\.status)) {
                phases[current] = Transitions.applying(.paused, to: phases[current], reason: .user, error: nil, at: now)
                events.append(.transition(phase: current, from: .notStarted, to: .paused, reason: .user, error: nil))
            }
        }
    }

    /// A user resume: clears the hold flag and moves the phases paused by the user back to
    /// running, for the next runner to pick up. Releasing a job that is not held changes nothing.
    @discardableResult
    public func release(_ id: JobID) throws -> (record: JobRecord, phases: [PhaseState]) {
        try change(id) { record, phases, events in
            let userPaused = phases.indices.filter { phases[$0].pauseReason == .user }
            guard record.held || !userPaused.isEmpty else { return }
            record.held = false
            events.append(.released)
            for ordinal in userPaused {
                phases[ordinal] = Transitions.applying(.running, to: phases[ordinal], reason: nil, error: nil, at: now)
                events.append(.transition(phase: ordinal, from: .paused, to: .running, reason: nil, error: nil))
            }
        }
    }

    /// Appends `events`, and drops the line that falls out of the job's last
    /// `JobStore.journalLimit` — one delete per append, so the journal stays bounded however
    /// often a job is paused and resumed, at no extra cost.
    private func appendJournal(_ id: JobID, _ record: inout JobRecord, _ events: [JournalEntry.Event]) throws {
        for event in events {
            let sequence = record.nextJournalSequence
            try transaction.put(databases.journal, Keys.journal(id, sequence: sequence), JournalEntry.encode(event, at: now))
            if sequence >= JobStore.journalLimit {
                _ = try transaction.delete(databases.journal, Keys.journal(id, sequence: sequence - JobStore.journalLimit))
            }
            record.nextJournalSequence += 1
        }
    }
}

@available(*, unavailable)
extension StoreBatch: Sendable {}
