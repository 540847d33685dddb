public import IngestCore

/// A job as read in one transaction: its record, its phases, and what follows from them.
public struct JobSnapshot: Sendable {
    /// The job's id.
    public let id: JobID
    /// The job record: source, plan, times, attempts, hold flag, settings.
    public let record: JobRecord
    /// Each phase's state, in the plan's order.
    public let phases: [PhaseState]
    /// The runner holding the job's lease, live or not.
    public let lease: RunnerIdentity?
    /// Whether `lease` names a process that is running now.
    public let leaseIsLive: Bool

    /// A snapshot from its parts; tells whether the lease is live now.
    public init(id: JobID, record: JobRecord, phases: [PhaseState], lease: RunnerIdentity?) {
        self.id = id
        self.record = record
        self.phases = phases
        self.lease = lease
        self.leaseIsLive = lease?.isLive ?? false
    }

    /// Derived from the phase statuses; never stored on its own.
    public var status: JobStatus { StatusRules.jobStatus(of: phases.lazy.map(\.status)) }

    /// The ordinal of the current phase, `nil` when all are completed.
    public var currentPhase: Int? { StatusRules.currentPhase(of: phases.lazy.map(\.status)) }

    /// The current phase's name.
    public var currentPhaseName: String? { currentPhase.map { record.plan.phases[$0].name } }

    /// The first failed phase's name; `nil` unless the job failed. Phases after it that were
    /// running (streaming behind it) keep that status until `retry`, so by DESIGN.md's rule
    /// one of them is the current phase: a person reading a failed job wants this one.
    public var failedPhaseName: String? {
        phases.firstIndex { $0.status == .failed }.map { record.plan.phases[$0].name }
    }

    /// Weighted progress 0…1.
    public var progress: Double { StatusRules.progress(plan: record.plan, phases: phases) }

    /// Failed items over all phases.
    public var itemsFailed: UInt64 { phases.reduce(0) { $0 &+ $1.itemsFailed } }

    /// What is happening to the job now, from its status, hold flag and lease.
    public var activity: Activity {
        Activity.of(status: status, held: record.held, leasedByLiveRunner: leaseIsLive)
    }

    /// The latest change to the job or any of its phases.
    public var updatedAt: Timestamp {
        var latest = record.updatedAt
        for phase in phases {
            if let changed = phase.updatedAt, changed > latest { latest = changed }
        }
        return latest
    }

    /// The phase called `name`, with its ordinal.
    public func phase(named name: String) -> (ordinal: Int, state: PhaseState)? {
        guard let ordinal = record.plan.ordinal(of: name) else { return nil }
        return (ordinal, phases[ordinal])
    }
}
