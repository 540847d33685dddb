public import IngestCore
public import IngestStore

/// One unit of a phase's input: a key unique and ordered within the phase, and bytes the
/// phase's worker understands.
public struct WorkItem: Sendable, Hashable {
    public let key: [UInt8]
    public let payload: [UInt8]

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
    public let id: JobID
    public let source: String
    public let plan: Plan
    /// The settings stored at submit; every run of the job uses exactly these.
    public let settings: [UInt8]

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
    associatedtype Output: Sendable

    /// How many items `process` wants at once (an embedder batches); 1 by default.
    var batchSize: Int { get }

    /// Processes a batch of items. No store access here: this may run on many tasks at once.
    /// - Returns: One outcome per item, in order.
    /// - Throws: For a failure of the worker itself (not of an item): the runner retries
    ///   with exponential backoff and jitter, then fails the phase.
    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Output>]

    /// Writes one done item's outputs inside the group commit.
    /// - Returns: The items this one hands to the next phase (ignored for the last phase).
    func commit(_ output: Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem]

    /// Writes all of one group's done items of this phase at once, in fetch order; by default
    /// `commit` for each. A worker whose outputs are cheaper to write together (an inverted
    /// index writing one segment per group) overrides it.
    /// - Returns: For each item, the items it hands to the next phase.
    func commitGroup(_ done: [(output: Output, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]]

    /// Called inside the transaction that completes the phase, after its last item.
    func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws
}

extension PhaseWorker {
    public var batchSize: Int { 1 }

    public func commitGroup(_ done: [(output: Output, item: WorkItem)], job: JobContext, into batch: StoreBatch) throws -> [[WorkItem]] {
        try done.map { try commit($0.output, for: $0.item, job: job, into: batch) }
    }

    public func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws {}
}

/// Where the first phase's items come from (for the built-in pipeline: a directory walk).
public protocol ItemSource: Sendable {
    /// Up to `limit` items that follow `checkpoint` (the key of the last committed item;
    /// `nil` at the start) in the source's stable order. An empty page means the source is
    /// exhausted.
    func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem]
}

/// A job's executable form: its source and one worker per phase of its plan.
public struct JobDefinition: Sendable {
    public let source: any ItemSource
    public let workers: [any PhaseWorker]
    /// Called once the job's run has ended, however it ended: release what the workers hold
    /// (an embedder's child process, connections).
    public let runEnded: @Sendable () -> Void

    public init(source: any ItemSource, workers: [any PhaseWorker], runEnded: @escaping @Sendable () -> Void = {}) {
        self.source = source
        self.workers = workers
        self.runEnded = runEnded
    }
}

/// Builds a job's definition from the job as stored (its plan, source and settings).
/// Throwing fails the job's current phase with the error's description.
public typealias JobFactory = @Sendable (JobContext) throws -> JobDefinition
