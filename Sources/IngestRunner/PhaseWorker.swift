public import IngestCore
public import IngestStore

/// One unit of a phase's input: a key unique and ordered within the phase, and bytes the
/// phase's worker understands.
public struct WorkItem: Sendable, Hashable {
    /// Names the item within its phase. The first phase's keys order its source: the key of
    /// the last committed item is the checkpoint the next run continues after.
    public let key: [UInt8]
    /// What the phase's worker needs to process the item (empty when the key says it all).
    public let payload: [UInt8]

    /// An item with its key and, optionally, its payload.
    /// - Parameters:
    ///   - key: Unique within the phase; for the first phase, in the source's order.
    ///   - payload: Bytes for the worker.
    public init(key: [UInt8], payload: [UInt8] = []) {
        self.key = key
        self.payload = payload
    }
}

/// What processing one item came to.
public enum ItemOutcome<Output: Sendable>: Sendable {
    /// Done: `commit` writes the output in the next group commit.
    case done(Output)
    /// The item is bad (unreadable, not text, rejected by the embedder): recorded with the
    /// reason and skipped; the phase fails only past its item-failure limit.
    case failed(reason: String)
}

/// The job a worker works on, as it was submitted.
public struct JobContext: Sendable {
    /// The job's id.
    public let id: JobID
    /// What the job ingests, as given to ``/IngestStore/JobStore/submit(id:source:plan:settings:)``.
    public let source: String
    /// The job's phases, one worker each.
    public let plan: Plan
    /// The settings stored at submit; every run of the job uses exactly these.
    public let settings: [UInt8]

    /// A job as the runner hands it to workers; tests build one to call a worker directly.
    public init(id: JobID, source: String, plan: Plan, settings: [UInt8]) {
        self.id = id
        self.source = source
        self.plan = plan
        self.settings = settings
    }
}

/// The work of one phase. The runner fetches items, calls `process` from its worker pool
/// (outside any transaction), and later calls `commit` for each done item inside a group
/// commit — the one write transaction that also records the item's receipt, the phase's
/// progress and the items handed to the next phase. So an item's outputs and its receipt
/// are on disk together or not at all.
public protocol PhaseWorker: Sendable {
    /// What ``process(_:job:)`` makes of an item and ``commit(_:for:job:into:)`` writes.
    associatedtype Output: Sendable

    /// How many items `process` wants at once (an embedder batches); 1 by default.
    var batchSize: Int { get }

    /// Processes a batch of items. No store access here: this may run on many tasks at once.
    ///
    /// After a crash the items of the last uncommitted group are processed again, so
    /// anything this does outside the store must be safe to repeat.
    /// - Parameters:
    ///   - items: Up to ``batchSize`` items, in the phase's order.
    ///   - job: The job they belong to.
    /// - Returns: One outcome per item, in order.
    /// - Throws: For a failure of the worker itself (not of an item): the runner retries
    ///   with exponential backoff and jitter, then fails the phase.
    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Output>]

    /// Writes one done item's outputs inside the group commit.
    ///
    /// Write only through `batch` (its ``/IngestStore/StoreBatch/transaction`` reaches the
    /// host's own databases in the same LMDB environment): a write elsewhere would not be
    /// undone with the transaction. A transaction runs again when the store's map has to
    /// grow, and the next run redoes items whose transaction did not commit, so this may be
    /// called more than once for one item; only the writes of the transaction that commits count.
    /// - Parameters:
    ///   - output: What ``process(_:job:)`` made of the item.
    ///   - item: The item.
    ///   - job: The job it belongs to.
    ///   - batch: The group commit's write transaction.
    /// - Returns: The items this one hands to the next phase (ignored for the last phase).
    func commit(_ output: Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem]

    /// Writes all of one group's done items of this phase at once, in fetch order; by default
    /// `commit` for each. A worker whose outputs are cheaper to write together (an inverted
    /// index writing one segment per group) overrides it.
    /// - Parameters:
    ///   - done: The group's done items of this phase with their outputs, in fetch order.
    ///   - job: The job they belong to.
    ///   - batch: The group commit's write transaction.
    /// - Returns: For each item, the items it hands to the next phase.
    func commitGroup(_ done: [(output: Output, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]]

    /// About how many bytes ``commit(_:for:job:into:)`` writes for `output`. The runner
    /// commits a group early once its outputs reach ``RunnerConfiguration/groupCommitBytes``,
    /// which bounds a transaction's memory where outputs are large. 0 by default (only the
    /// item count and the interval start a commit).
    func outputBytes(_ output: Output) -> Int

    /// Called inside the transaction that completes the phase, after its last item: the place
    /// for a result that must appear exactly when the phase is completed. Does nothing by default.
    /// - Parameters:
    ///   - job: The job whose phase completes.
    ///   - batch: The write transaction that completes it.
    func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws
}

extension PhaseWorker {
    /// One item at a time.
    public var batchSize: Int { 1 }

    /// Calls ``commit(_:for:job:into:)`` for each item, in order.
    public func commitGroup(_ done: [(output: Output, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
        try done.map { try commit($0.output, for: $0.item, job: job, into: batch) }
    }

    /// Writes nothing.
    public func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws {}

    /// Unknown: 0.
    public func outputBytes(_ output: Output) -> Int { 0 }
}

/// Where the first phase's items come from (for the built-in pipeline: a directory walk).
public protocol ItemSource: Sendable {
    /// Up to `limit` items that follow `checkpoint` (the key of the last committed item;
    /// `nil` at the start) in the source's stable order. An empty page means the source is
    /// exhausted.
    ///
    /// Called off Swift's cooperative pool, so it may block on a file or a database.
    /// - Parameters:
    ///   - job: The job whose first phase the items are for.
    ///   - checkpoint: The key of the last committed item, or `nil` when none was committed.
    ///   - limit: The most items to return.
    /// - Returns: The next items in key order; empty once the source is exhausted.
    /// - Throws: When the source cannot be read: the phase fails, with the error's description
    ///   in its last error.
    func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem]
}

/// A job's executable form: its source and one worker per phase of its plan.
public struct JobDefinition: Sendable {
    /// The first phase's input.
    public let source: any ItemSource
    /// One worker per phase of the job's plan, in the plan's order.
    public let workers: [any PhaseWorker]
    /// Called once the job's run has ended, however it ended: release what the workers hold
    /// (an embedder's child process, connections).
    public let runEnded: @Sendable () -> Void

    /// A job's source and workers.
    /// - Parameters:
    ///   - source: The first phase's input.
    ///   - workers: One per phase of the plan, in order; a count that differs from the plan's
    ///     fails the job.
    ///   - runEnded: Called once the job's run has ended.
    public init(source: any ItemSource, workers: [any PhaseWorker], runEnded: @escaping @Sendable () -> Void = {}) {
        self.source = source
        self.workers = workers
        self.runEnded = runEnded
    }
}

/// Builds a job's definition from the job as stored (its plan, source and settings).
/// Throwing fails the job's current phase with the error's description.
public typealias JobFactory = @Sendable (JobContext) throws -> JobDefinition
