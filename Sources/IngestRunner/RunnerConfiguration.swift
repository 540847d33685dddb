public import IngestCore

/// How a run behaves.
public struct RunnerConfiguration: Sendable {
    /// Items processed at once per phase.
    public var workers: Int
    /// A group commit is written once this many items are ready…
    public var groupCommitItems: Int
    /// …or this long after the first of them became ready…
    public var groupCommitInterval: Duration
    /// …or once their outputs come to about this many bytes (as each phase's
    /// ``PhaseWorker/outputBytes(_:)`` estimates them). LMDB keeps a write transaction's
    /// dirty pages in memory until it commits, so this bounds the runner's memory where items
    /// are large; 4 MiB by default. Finished outputs waiting for a commit stay under about
    /// three times it: past twice, phases fetch nothing more, and past three times, fetched
    /// items wait to be handed to a worker.
    public var groupCommitBytes = 4 << 20
    /// The run's time budget; `nil` runs until no runnable job is left.
    public var maxTime: Duration?
    /// After a stop request, how long in-flight items may take before they are dropped.
    public var shutdownGrace: Duration
    /// A phase fails once more items than this have failed in it.
    public var maxItemFailures: UInt64
    /// Retries of a worker failure before the phase fails.
    public var maxRetries: Int
    /// The first retry's delay; each further one doubles, with jitter.
    public var retryBaseDelay: Duration
    /// Only this job, when set.
    public var onlyJob: JobID?
    /// How often a running job checks whether the user paused it from another process.
    public var holdPollInterval: Duration
    /// Pause with reason `disk_full` once the store's file system has less free space than
    /// this, before the disk is actually full (`nil`: only when a write fails).
    public var minFreeDiskBytes: UInt64?
    /// Pause with reason `on_battery` while this says the box runs on battery (`nil`: never).
    public var onBattery: (@Sendable () -> Bool)?
    /// Jobs over the same source never run at once: a runner passes over a job while a live
    /// runner holds another job whose source is the same string, and takes it once that one
    /// is released. On by default, because the built-in pipeline's jobs over one source share
    /// its documents and chunks; a host whose jobs share nothing by source may turn it off.
    public var exclusiveSources = true
    /// A deliberate fault for negative controls in crash tests; `nil` in real use.
    public var fault: Fault?

    /// Deliberate faults that a crash test must be able to catch.
    public enum Fault: String, Sendable {
        /// Writes each group's receipts and progress in one transaction and the items'
        /// outputs in a second one, with a pause between — the bug group commit exists to
        /// prevent. A kill between the two loses outputs whose items count as done.
        case splitCommit = "split-commit"
        /// Takes a job even when a live runner holds its lease, as a runner whose liveness
        /// check wrongly finds every holder dead would: two runners then run one job at once.
        /// The negative control of the concurrency soak (tools/soak).
        case stealLeases = "steal-leases"
        /// Claims a job even while a live runner holds another job over the same source, as
        /// with ``RunnerConfiguration/exclusiveSources`` off. The negative control of the
        /// shared-source test.
        case sharedSources = "shared-sources"
    }

    /// A configuration; every value has the default `ingest run` uses.
    ///
    /// `workers`, `groupCommitItems` and `maxRetries` are raised to their least sensible
    /// value (1, 1 and 0) when given less.
    public init(
        workers: Int = 2, groupCommitItems: Int = 256, groupCommitInterval: Duration = .milliseconds(200),
        maxTime: Duration? = nil, shutdownGrace: Duration = .seconds(5), maxItemFailures: UInt64 = 1000,
        maxRetries: Int = 3, retryBaseDelay: Duration = .milliseconds(200), onlyJob: JobID? = nil,
        holdPollInterval: Duration = .milliseconds(250), minFreeDiskBytes: UInt64? = nil,
        onBattery: (@Sendable () -> Bool)? = nil, fault: Fault? = nil
    ) {
        self.onBattery = onBattery
        self.minFreeDiskBytes = minFreeDiskBytes
        self.fault = fault
        self.workers = max(1, workers)
        self.groupCommitItems = max(1, groupCommitItems)
        self.groupCommitInterval = groupCommitInterval
        self.maxTime = maxTime
        self.shutdownGrace = shutdownGrace
        self.maxItemFailures = maxItemFailures
        self.maxRetries = max(0, maxRetries)
        self.retryBaseDelay = retryBaseDelay
        self.onlyJob = onlyJob
        self.holdPollInterval = holdPollInterval
    }
}
