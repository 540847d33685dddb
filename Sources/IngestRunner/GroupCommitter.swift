internal import CoreMetrics
internal import IngestCore
internal import IngestStore
internal import Logging

/// The one place a job's run writes: it gathers finished items from every phase's workers
/// and writes them in group commits — many items in one write transaction, flushed every
/// `groupCommitItems` items or `groupCommitInterval` — together with their receipts, the
/// items they hand to the next phase, and each phase's progress. After any interruption at
/// most the last unwritten group is redone, and no item's output is written twice.
actor GroupCommitter {
    private let store: JobStore
    private let executor: StoreExecutor
    private let job: JobContext
    private let workers: [ErasedWorker]
    private let configuration: RunnerConfiguration
    private let runStop: StopController
    private let logger: Logger
    private let events: @Sendable (RunEvent) -> Void

    private var ledgers: [PhaseLedger]
    private var phases: [PhaseState]
    private var flushing = false
    private var flushRequested = false
    private var closed = false
    private var firstReadyAt: ContinuousClock.Instant?
    private var generation = 0
    private var commitWaiters: [CheckedContinuation<Void, Never>] = []
    /// The flusher task, waiting for a flush to be asked for.
    private var flusherWaiter: CheckedContinuation<Void, Never>?
    /// Waiting for the flush in progress to end (the run's last write).
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var roomWaiters: [Int: [CheckedContinuation<Void, Never>]] = [:]
    private let commitDuration = RunnerMetrics.commitDuration()
    /// Set when the job must stop on its own account: held by the user, failed, or out of space.
    private(set) var jobStop: JobStop?
    private(set) var writeError: StoreError?
    /// A group commit failed (with any error): the job is stopping.
    private var writeFailed = false

    enum JobStop: Sendable, Equatable {
        case paused(PauseReason)
        case failed(phase: Int, error: String)
        /// The store turned out damaged: stop without writing anything more (see `storeDamaged`).
        case storeDamaged
    }

    init(
        store: JobStore, executor: StoreExecutor, job: JobContext, phases: [PhaseState], workers: [ErasedWorker],
        configuration: RunnerConfiguration, runStop: StopController, logger: Logger,
        events: @escaping @Sendable (RunEvent) -> Void
    ) {
        self.runStop = runStop
        self.store = store
        self.executor = executor
        self.job = job
        self.phases = phases
        self.workers = workers
        self.configuration = configuration
        self.logger = logger
        self.events = events
        ledgers = phases.map { state in
            var ledger = PhaseLedger()
            ledger.completed = state.status == .completed
            return ledger
        }
    }

    /// Items a phase may have fetched but not committed; past it the fetcher waits.
    ///
    /// Items stay pending until the commit that takes them is durable, and while the writer
    /// thread writes one group the next one gathers. At two groups a phase's fetcher ran dry
    /// in every commit and the workers waited (a 30 MB corpus took 2.0 s, at eight groups
    /// 1.7 s; BENCHMARKS.md). What waiting items hold stays bounded by bytes either way
    /// (`waitingBytes`), and a crash still redoes only what was not committed.
    private var window: Int { max(configuration.groupCommitItems * 8, configuration.workers * 4) }

    // MARK: Fetch side

    /// Waits until phase `ordinal` may fetch more, then returns how many items it may take.
    func waitForRoom(_ ordinal: Int) async -> Int {
        // A full window waits for a commit, so ask for one now rather than at the next tick.
        if ledgers[ordinal].pending >= window, ledgers[ordinal].committableCount > 0 { await flush() }
        // Outputs waiting for a commit hold memory: past twice the bytes bound, fetch nothing
        // more until a commit has taken some.
        while (ledgers[ordinal].pending >= window || waitingBytes >= fetchingStopsAt) && !mustStop {
            await withCheckedContinuation { roomWaiters[ordinal, default: []].append($0) }
        }
        return max(0, window - ledgers[ordinal].pending)
    }

    /// Finished outputs waiting for a commit past which a phase fetches nothing more.
    private var fetchingStopsAt: Int { 2 * configuration.groupCommitBytes }

    /// …and past which a fetcher hands nothing more of what it fetched to a worker.
    private var handingOutStopsAt: Int { 3 * configuration.groupCommitBytes }

    /// Waits, before a fetcher hands phase `ordinal`'s next batch to a worker, while the
    /// finished outputs waiting for a commit hold three times the bytes bound. Returns
    /// `false` when the job must stop instead: the fetcher's stop check, in the same hop.
    ///
    /// `waitForRoom` stops fetching at twice the bound, but a page already fetched — up to
    /// 256 items — would still be processed to its end, and where items are large (the chunk
    /// phase's are whole documents, its outputs their text) the outputs then piled up far
    /// past the mark: a heap profile of a 100 MB run found 18.6 MiB of chunk text live at the
    /// peak. Three times, not two: at twice the bound a 100 MB run took up to 10% longer (the
    /// workers waited more than the writer needed); at three the 1 GB run's peak fell from
    /// 38–44 to 33–36 MiB at the same speed (BENCHMARKS.md, "Memory: 100 MB against 1 GB").
    func waitForOutputRoom(_ ordinal: Int) async -> Bool {
        while waitingBytes >= handingOutStopsAt && !mustStop {
            await withCheckedContinuation { roomWaiters[ordinal, default: []].append($0) }
        }
        return !mustStop
    }

    /// Registers fetched items; returns them numbered.
    func register(_ ordinal: Int, items: [(WorkItem, UInt64?)]) -> [FetchedItem] {
        var numbered: [FetchedItem] = []
        numbered.reserveCapacity(items.count)
        for (item, sequence) in items {
            numbered.append(FetchedItem(index: ledgers[ordinal].fetched, item: item, queueSequence: sequence))
            ledgers[ordinal].fetched += 1
        }
        return numbered
    }

    func isCompleted(_ ordinal: Int) -> Bool { ledgers[ordinal].completed }

    private var mustStop: Bool { jobStop != nil || runStop.isStopRequested }

    /// What the finished outputs not yet taken by a commit will write.
    private var waitingBytes: Int { ledgers.reduce(0) { $0 + $1.finishedBytes } }

    var commitGeneration: Int { generation }

    /// Returns after the next group commit lands (or at once if one landed since `seen`),
    /// or when the job must stop.
    func waitForCommit(after seen: Int) async {
        // The stop checks and the registration are atomic on this actor, and a stop always
        // calls `wakeEveryone` after setting its flag, so no waiter sleeps through a stop.
        guard generation == seen, !mustStop, !closed else { return }
        await withCheckedContinuation { commitWaiters.append($0) }
    }

    /// The fetcher of phase `ordinal` found its input exhausted.
    func markExhausted(_ ordinal: Int) async {
        ledgers[ordinal].exhausted = true
        await flush()
    }

    // MARK: Work side

    /// Refuses items handed in from now on: the fetchers are done or were given up on.
    func close() {
        closed = true
        wakeEveryone()
        flusherWaiter?.resume()
        flusherWaiter = nil
    }

    /// Hands in finished items and asks the flusher for a group commit when enough are
    /// ready. It never waits for the write: the worker goes on with its next batch while
    /// the writer thread commits, and `waitForRoom` keeps what waits bounded.
    func add(_ ordinal: Int, _ items: [FinishedItem]) {
        guard !closed else { return }
        for item in items { ledgers[ordinal].finish(item) }
        if firstReadyAt == nil { firstReadyAt = .now }
        let ready = ledgers.reduce(0) { $0 + $1.committableCount }
        // The bytes bound keeps a transaction's dirty pages (held in memory until the commit)
        // and the outputs waiting for it small when items are large, such as whole documents.
        // A phase whose input ran out and whose every item is now finished commits at once:
        // its fetcher is gone, nothing else would flush before the interval, and the next
        // phase waits for that commit.
        if ready >= configuration.groupCommitItems || waitingBytes >= configuration.groupCommitBytes
            || ledgers[ordinal].canComplete
        {
            requestFlush()
        }
    }

    /// Asks for a flush without waiting for it: a flush in progress takes it in its next
    /// round, otherwise the flusher starts one.
    private func requestFlush() {
        flushRequested = true
        if !flushing, let flusher = flusherWaiter {
            flusherWaiter = nil
            flusher.resume()
        }
    }

    /// The flusher: runs the flushes workers ask for, until the committer closes or a write
    /// fails (then the job is stopping, and `finish` makes the last attempt).
    func runFlusher() async {
        while !closed && !writeFailed && damage == nil {
            if flushRequested && !flushing {
                await flush()
            } else {
                await withCheckedContinuation { flusherWaiter = $0 }
            }
        }
    }

    /// Writes a group if the oldest finished item has waited `groupCommitInterval`.
    func flushIfDue() async {
        guard let first = firstReadyAt, ContinuousClock.now - first >= configuration.groupCommitInterval else { return }
        await flush()
    }

    /// The damage a read or write of this job ran into, if any.
    private(set) var damage: StoreError?

    /// Stops the job because the store is damaged. Nothing more is written — not even the
    /// pause or the failure — since a write would build on the damage; the lease dies with
    /// the process.
    func storeDamaged(_ error: StoreError) {
        if damage == nil { damage = error }
        stop(.storeDamaged)
    }

    /// Stops the job on its own account (user hold seen by the poller, worker failure).
    func stop(_ reason: JobStop) {
        if jobStop == nil { jobStop = reason }
        wakeEveryone()
    }

    /// Wakes fetchers waiting for room or for a commit, so they notice a stop.
    func wakeEveryone() {
        let waiters = commitWaiters + roomWaiters.values.flatMap { $0 }
        commitWaiters = []
        roomWaiters = [:]
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Writing

    /// Writes every item that can be committed in order, completes the phases whose input
    /// is exhausted and fully committed, and notices a user hold.
    func flush() async {
        // A flush asked for while one runs is done by that one's next round.
        flushRequested = true
        guard !flushing else { return }
        flushing = true
        defer {
            flushing = false
            let waiters = idleWaiters
            idleWaiters = []
            for waiter in waiters { waiter.resume() }
        }
        // Nothing more is written once the store turned out damaged (see `storeDamaged`).
        while flushRequested && writeError == nil && damage == nil {
            flushRequested = false
            // A long backlog (items that finished while the last commit was written) goes in
            // several transactions of about `groupCommitBytes` each rather than one big one.
            var budget = configuration.groupCommitBytes
            let taken = ledgers.indices.map { ledgers[$0].takeCommittable(budget: &budget) }
            // Ready items the budget left behind go in the next round, not after the interval.
            let leftBehind = ledgers.contains { $0.committableCount > 0 }
            let completable = ledgers.indices.filter {
                ledgers[$0].exhausted && !ledgers[$0].completed && ledgers[$0].pending == 0
            }
            if taken.allSatisfy(\.isEmpty) && completable.isEmpty { continue }
            firstReadyAt = nil
            guard await write(taken: taken, completable: completable) else { break }
            if leftBehind || ledgers.reduce(0, { $0 + $1.committableCount }) >= configuration.groupCommitItems
                || waitingBytes >= configuration.groupCommitBytes
            {
                flushRequested = true
            }
        }
    }

    private func write(taken: [[FinishedItem]], completable: [Int]) async -> Bool {
        let store = store, job = job, workers = workers, limit = configuration.maxItemFailures
        do {
            let outcome: GroupCommit.Outcome
            let started = ContinuousClock.now
            if configuration.fault == .splitCommit {
                outcome = try await splitWrite(taken: taken, completable: completable)
            } else {
                outcome = try await executor.write {
                    try store.write { batch in
                        try GroupCommit.apply(
                            batch: batch, job: job, taken: taken, completable: completable, workers: workers,
                            maxItemFailures: limit
                        )
                    }
                }
            }
            commitDuration.recordNanoseconds((ContinuousClock.now - started).wholeNanoseconds)
            phases = outcome.phases
            for (ordinal, items) in taken.enumerated() { ledgers[ordinal].committedThisRun += UInt64(items.count) }
            for ordinal in outcome.completed {
                ledgers[ordinal].completed = true
                logger.info("phase completed", metadata: ["job": "\(job.id)", "phase": "\(job.plan.phases[ordinal].name)"])
                events(.phaseCompleted(job.id, phase: job.plan.phases[ordinal].name))
            }
            if outcome.held { stop(.paused(.user)) }
            // Checked after every commit too, so even a fast run stops at the first group that
            // takes free space below --min-free-disk.
            if let minimum = configuration.minFreeDiskBytes, let free = store.freeDiskBytes(), free < minimum {
                stop(.paused(.diskFull))
            }
            if let (ordinal, error) = outcome.failed { stop(.failed(phase: ordinal, error: error)) }
            generation += 1
            // Logged only once the transaction has returned, so a reader of the log (such as
            // tools/powercut) may count everything it shows as committed.
            logger.debug("group commit", metadata: [
                "job": "\(job.id)", "items": "\(taken.reduce(0) { $0 + $1.count })",
                "progress": "\(progress.map { "\($0.name) \($0.status) \($0.processed)" }.joined(separator: ", "))",
            ])
            events(.progress(job.id, progress))
            wakeEveryone()
            return true
        } catch {
            let storeError = error as? StoreError
            writeError = storeError
            writeFailed = true
            logger.error("group commit failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            // Put the items back so that a final commit after a stop can still try them.
            for (ordinal, items) in taken.enumerated() { ledgers[ordinal].restore(items) }
            if let storeError, storeError.category == .damaged {
                storeDamaged(storeError)
            } else if storeError?.category == .noSpace || diskLooksFull {
                stop(.paused(.diskFull))
            } else {
                stop(.failed(phase: currentPhase, error: "cannot write to the store: \(error)"))
            }
            return false
        }
    }

    /// The `splitCommit` fault: bookkeeping first, outputs later, in separate transactions.
    private func splitWrite(taken: [[FinishedItem]], completable: [Int]) async throws -> GroupCommit.Outcome {
        let store = store, job = job, workers = workers, limit = configuration.maxItemFailures
        let outcome = try await executor.write {
            try store.write { batch in
                try GroupCommit.apply(
                    batch: batch, job: job, taken: taken, completable: completable, workers: workers,
                    maxItemFailures: limit, writeOutputs: false
                )
            }
        }
        try? await Task.sleep(for: .milliseconds(50))
        try await executor.write {
            try store.write { batch in try GroupCommit.writeOutputs(batch: batch, job: job, taken: taken, workers: workers) }
        }
        return outcome
    }

    /// LMDB reports a short write as EIO, which is what a full disk gives it; so after a
    /// failed write, a nearly full file system means "disk full", not a broken disk.
    private var diskLooksFull: Bool {
        guard let free = store.freeDiskBytes() else { return false }
        return free < 8 << 20
    }

    private var currentPhase: Int { StatusRules.currentPhase(of: phases.map(\.status)) ?? 0 }

    /// Each phase's progress as of the last commit.
    var progress: [PhaseProgress] {
        phases.indices.map { ordinal in
            PhaseProgress(
                name: job.plan.phases[ordinal].name, status: phases[ordinal].status,
                processed: phases[ordinal].processed, total: phases[ordinal].total,
                itemsFailed: phases[ordinal].itemsFailed, processedThisRun: ledgers[ordinal].committedThisRun
            )
        }
    }

    /// The last write of the run: commits what it can, then pauses the running phases with
    /// `reason` (or fails the phase a worker failed), and releases the lease — one transaction.
    func finish(runStop: PauseReason?, runner: RunnerIdentity) async -> JobOutcome {
        if damage != nil { return .paused(runStop ?? .shutdown) }
        // A flush still writing (one a late fetcher started) lands before the last write.
        while flushing { await withCheckedContinuation { idleWaiters.append($0) } }
        if writeError == nil { await flush() }
        let failure: (Int, String)? = if case .failed(let ordinal, let error) = jobStop { (ordinal, error) } else { nil }
        let pauseReason: PauseReason? = if case .paused(let reason) = jobStop { reason } else { runStop }
        let store = store, job = job
        do {
            let logger = logger
            let final = try await executor.write {
                try store.write { batch in
                    let phases = try GroupCommit.finish(batch: batch, job: job, failure: failure, pauseReason: pauseReason, runner: runner)
                    // Logged before the commit, with the journal position the release takes:
                    // a process killed after this line may or may not have released, one killed
                    // before it has not. tools/soak orders releases against other runners'
                    // claims by this position. (A retry after map growth logs it again, alike.)
                    let position = try batch.load(job.id)?.record.journalLength ?? 0
                    logger.info("releasing the lease", metadata: ["job": "\(job.id)", "runner": "\(runner)", "journal": "\(position)"])
                    return phases
                }
            }
            phases = final
        } catch {
            logger.error("cannot record the end of the run", metadata: ["job": "\(job.id)", "error": "\(error)"])
            // The lease dies with this process, so the next run resumes from the last group commit.
            if (error as? StoreError)?.category == .noSpace || diskLooksFull { return .paused(.diskFull) }
            return .paused(pauseReason ?? .shutdown)
        }
        let status = StatusRules.jobStatus(of: phases.map(\.status))
        switch status {
        case .completed: return .completed
        case .failed:
            let ordinal = phases.firstIndex { $0.status == .failed } ?? 0
            return .failed(phase: job.plan.phases[ordinal].name, error: phases[ordinal].lastError ?? "failed")
        case .pending, .running:
            return .paused(pauseReason ?? phases.compactMap(\.pauseReason).first ?? .shutdown)
        }
    }
}
