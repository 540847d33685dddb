public import IngestCore
public import IngestStore
public import Logging
internal import Synchronization

/// The batch runner: claims runnable jobs one after another — pending ones, interrupted
/// ones, and ones paused for any reason but the user's — runs each until it completes,
/// fails or is stopped, and returns when none is left or a stop was requested.
///
/// Two runners on one store never run the same job: a claim is one write transaction
/// that checks for a live lease and writes its own.
public final class Runner: Sendable {
    private let store: JobStore
    private let configuration: RunnerConfiguration
    private let factory: JobFactory
    private let logger: Logger
    private let events: @Sendable (RunEvent) -> Void
    private let executor = StoreExecutor()

    /// A runner for the jobs of `store`; ``run(stop:)`` runs them.
    /// - Parameters:
    ///   - store: The job store, opened read-write.
    ///   - configuration: Workers, group commit, budget, grace, limits.
    ///   - factory: Builds each claimed job's source and phase workers from its stored settings.
    ///   - logger: Where the runner logs.
    ///   - events: Progress, phase completions and job outcomes as they happen. Called on the
    ///     runner's commit path: keep it quick.
    public init(
        store: JobStore, configuration: RunnerConfiguration, factory: @escaping JobFactory, logger: Logger,
        events: @escaping @Sendable (RunEvent) -> Void = { _ in }
    ) {
        self.store = store
        self.configuration = configuration
        self.factory = factory
        self.logger = logger
        self.events = events
    }

    /// Runs jobs until none is runnable or `stop` is requested (and, with a budget, until it ends).
    ///
    /// A stop makes every running phase commit what it finished, pause with the stop's
    /// reason and release its job within ``RunnerConfiguration/shutdownGrace``.
    /// - Parameter stop: Ask it to stop the run; a signal handler or a graceful-shutdown
    ///   handler calls ``StopController/requestStop(_:)``.
    /// - Returns: What happened to each job it ran. When the store cannot be read to claim
    ///   the next job, ``RunReport/error`` says why.
    /// - Throws: ``RunnerError`` when this process cannot tell its boot id and start time,
    ///   which leases need (`/proc` is not mounted); `StoreError` when the store cannot be
    ///   read to tell whether work remains.
    public func run(stop: StopController) async throws -> RunReport {
        guard let identity = RunnerIdentity.current() else { throw RunnerError.noIdentity() }
        var report = RunReport()
        await withTaskGroup(of: Void.self) { budget in
            if let maxTime = configuration.maxTime {
                budget.addTask {
                    do { try await Task.sleep(for: maxTime) } catch { return }
                    stop.requestStop(.budget)
                }
            }
            defer { budget.cancelAll() }
            var tried = Set<JobID>()
            while !stop.isStopRequested {
                if configuration.onBattery?() == true {
                    logger.notice("on battery; not starting work (--pause-on-battery)")
                    stop.requestStop(.onBattery)
                    break
                }
                if diskIsLow() {
                    logger.warning("free disk space is below --min-free-disk; not starting more work", metadata: ["store": "\(store.path)"])
                    stop.requestStop(.diskFull)
                    break
                }
                let claimed: (JobContext, [PhaseState])?
                do {
                    (claimed, report.waitingForSource) = try await claimNext(as: identity, skipping: tried)
                } catch {
                    report.error = error
                    break
                }
                guard let (job, phases) = claimed else { break }
                tried.insert(job.id)
                logger.info("job claimed", metadata: ["job": "\(job.id)", "source": "\(job.source)", "runner": "\(identity)"])
                let (outcome, damage) = await run(job, phases: phases, identity: identity, stop: stop)
                if let damage {
                    // Nothing more is written to a damaged store; the run ends with the damage.
                    logger.error("the store is damaged; stopping", metadata: ["job": "\(job.id)", "error": "\(damage)"])
                    InProcessClaims.shared.remove(job.id, in: store)
                    report.error = damage
                    break
                }
                logger.info("job run ended", metadata: Self.metadata(job.id, outcome))
                InProcessClaims.shared.remove(job.id, in: store)
                report.outcomes.append((job.id, outcome))
                events(.jobFinished(job.id, outcome))
                if case .paused(.diskFull) = outcome { break }
            }
        }
        if stop.isStopRequested || report.outcomes.contains(where: { if case .paused = $0.1 { true } else { false } }) {
            report.workRemains = try await hasRunnableJobs()
        }
        if !report.waitingForSource.isEmpty { report.workRemains = true }
        return report
    }

    private static func metadata(_ id: JobID, _ outcome: JobOutcome) -> Logger.Metadata {
        switch outcome {
        case .completed: ["job": "\(id)", "outcome": "completed"]
        case .failed(let phase, let error): ["job": "\(id)", "outcome": "failed", "phase": "\(phase)", "error": "\(error)"]
        case .paused(let reason): ["job": "\(id)", "outcome": "paused", "reason": "\(reason)"]
        case .skipped(let why): ["job": "\(id)", "outcome": "skipped", "reason": "\(why)"]
        }
    }

    private func run(
        _ job: JobContext, phases: [PhaseState], identity: RunnerIdentity, stop: StopController
    ) async -> (JobOutcome, StoreError?) {
        let definition: JobDefinition
        do {
            definition = try factory(job)
            guard definition.workers.count == job.plan.count else {
                throw RunnerError.planMismatch(job: job.id.rawValue, phases: job.plan.count, workers: definition.workers.count)
            }
        } catch let damage as StoreError where damage.category == .damaged {
            return (.paused(.shutdown), damage)
        } catch {
            logger.error("cannot set up the job", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return (await failSetup(job, error: "\(error)", identity: identity), nil)
        }
        let run = JobRun(
            store: store, executor: executor, job: job, phases: phases,
            workers: definition.workers.map(ErasedWorker.init), source: definition.source,
            configuration: configuration, runStop: stop, runner: identity, logger: logger, events: events
        )
        let result = await run.run()
        definition.runEnded()
        return result
    }

    /// Claims the first runnable job and starts its phases, in one transaction. Also returns
    /// the jobs it passed over because a live runner holds another job over their source.
    private func claimNext(
        as identity: RunnerIdentity, skipping tried: Set<JobID>
    ) async throws -> ((JobContext, [PhaseState])?, waiting: [SourceWait]) {
        let store = store, only = configuration.onlyJob, fault = configuration.fault
        let exclusiveSources = configuration.exclusiveSources && fault != .sharedSources
        return try await executor.write {
            let candidates: [JobID]
            if let only {
                candidates = [only]
            } else {
                candidates = try store.read { txn in
                    try store.jobIDs(status: .running, in: txn) + store.jobIDs(status: .pending, in: txn)
                }
            }
            var waiting: [SourceWait] = []
            for id in candidates where !tried.contains(id) {
                // Runners in one process share a lease identity; this keeps them apart.
                guard InProcessClaims.shared.insert(id, in: store) else { continue }
                // (A closure with no effect outside its transaction, which may run again.)
                let attempt: ClaimAttempt = try store.write { batch in
                    if fault == .stealLeases, let holder = try batch.leaseHolder(of: id) {
                        try batch.releaseLease(id, for: holder)
                    }
                    switch try batch.claim(id, for: identity, exclusiveSource: exclusiveSources) {
                    case .claimed: break
                    case .refused(.sourceBusy(let busy)): return .waitsForSource(busy)
                    case .refused: return .refused
                    }
                    let phases = try GroupCommit.start(batch: batch, job: id)
                    guard let (record, _) = try batch.load(id) else { return .refused }
                    let context = JobContext(id: id, source: record.source, plan: record.plan, settings: record.settings)
                    return .started(context, phases)
                }
                switch attempt {
                case .started(let context, let phases): return ((context, phases), waiting)
                case .waitsForSource(let busy): waiting.append(SourceWait(job: id, heldJob: busy))
                case .refused: break
                }
                InProcessClaims.shared.remove(id, in: store)
            }
            return (nil, waiting)
        }
    }

    /// How one claim went, as its transaction reports it.
    private enum ClaimAttempt {
        case started(JobContext, [PhaseState])
        /// A live runner holds this other job over the same source.
        case waitsForSource(JobID)
        case refused
    }

    private func failSetup(_ job: JobContext, error: String, identity: RunnerIdentity) async -> JobOutcome {
        let store = store
        do {
            return try await executor.write {
                try store.write { batch -> JobOutcome in
                    guard let (_, phases) = try batch.load(job.id) else { return .skipped("job vanished") }
                    let ordinal = StatusRules.currentPhase(of: phases.map(\.status)) ?? 0
                    if phases[ordinal].status.isActive {
                        try batch.transition(job.id, phase: ordinal, to: .failed, error: error)
                    }
                    try batch.releaseLease(job.id, for: identity)
                    return .failed(phase: job.plan.phases[ordinal].name, error: error)
                }
            }
        } catch {
            return .failed(phase: job.plan.phases.first?.name ?? "?", error: "\(error)")
        }
    }

    /// Whether the store's disk has less free space than `minFreeDiskBytes`.
    func diskIsLow() -> Bool {
        guard let minimum = configuration.minFreeDiskBytes, let free = store.freeDiskBytes() else { return false }
        return free < minimum
    }

    private func hasRunnableJobs() async throws -> Bool {
        let store = store, only = configuration.onlyJob
        return try await executor.read {
            let jobs = try only.map { try store.job($0).map { [$0] } ?? [] }
                ?? (try store.jobs(status: .running) + store.jobs(status: .pending))
            return jobs.contains { !$0.status.isTerminal && !$0.record.held }
        }
    }
}

/// The jobs the runners of this process hold. A lease names a process, so two runners in
/// one process would each see the other's lease as their own.
final class InProcessClaims: Sendable {
    static let shared = InProcessClaims()

    /// A job of one store: the store's open environment (one per directory per process) and the id.
    private struct Claim: Hashable {
        let store: ObjectIdentifier
        let job: JobID
    }

    private let claims = Mutex<Set<Claim>>([])

    /// Claims `id` of `store` in this process; `false` when another runner here has it.
    func insert(_ id: JobID, in store: JobStore) -> Bool {
        claims.withLock { $0.insert(Claim(store: ObjectIdentifier(store.environment), job: id)).inserted }
    }

    func remove(_ id: JobID, in store: JobStore) {
        _ = claims.withLock { $0.remove(Claim(store: ObjectIdentifier(store.environment), job: id)) }
    }
}

/// What a run did.
public struct RunReport: Sendable {
    /// Each job the run claimed, with how its run ended.
    public var outcomes: [(JobID, JobOutcome)] = []
    /// Whether runnable jobs are left (the run stopped early, or jobs wait for their source).
    public var workRemains = false
    /// Jobs the run passed over at its last claim because a live runner held another job
    /// over the same source (``RunnerConfiguration/exclusiveSources``): work remains.
    public var waitingForSource: [SourceWait] = []
    /// A failure of the runner itself (the store could not be read).
    public var error: (any Error)?

    /// Whether a job the run claimed failed.
    public var failed: Bool { outcomes.contains { if case .failed = $0.1 { true } else { false } } }
}

/// A job a run passed over because a live runner held another job over its source.
public struct SourceWait: Sendable, Equatable {
    /// The job passed over.
    public let job: JobID
    /// The job over the same source that a live runner holds.
    public let heldJob: JobID
}
