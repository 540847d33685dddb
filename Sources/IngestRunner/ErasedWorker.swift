internal import IngestStore

/// A finished item on its way to the group commit: how to write it, or why it failed.
struct FinishedItem: Sendable {
    /// The item's position among the items its phase fetched in this run.
    let index: Int
    let item: WorkItem
    /// The queue entry it came from (phases after the first).
    let queueSequence: UInt64?
    let result: Result
    /// What committing it will write, as its worker estimates it (0 for a failed item).
    let bytes: Int
    enum Result: Sendable {
        case done(output: any Sendable)
        case failed(String)
    }
}

/// A fetched item on its way to a worker.
struct FetchedItem: Sendable {
    let index: Int
    let item: WorkItem
    let queueSequence: UInt64?
}

/// `any PhaseWorker` with its output type hidden, so the engine can hold one per phase.
struct ErasedWorker: Sendable {
    let batchSize: Int
    let process: @Sendable ([FetchedItem], JobContext) async throws -> [FinishedItem]
    let phaseWillComplete: @Sendable (JobContext, StoreBatch) throws -> Void
    /// Writes a group's done items (outputs with their items); returns what each hands on.
    let commitGroup: @Sendable ([(output: any Sendable, item: WorkItem)], JobContext, StoreBatch) throws -> [[WorkItem]]

    init<Worker: PhaseWorker>(typed worker: Worker) {
        batchSize = max(1, worker.batchSize)
        process = { fetched, job in
            let outcomes = try await worker.process(fetched.map(\.item), job: job)
            guard outcomes.count == fetched.count else {
                throw RunnerError.workerContract("returned \(outcomes.count) outcomes for \(fetched.count) items")
            }
            return zip(fetched, outcomes).map { entry, outcome in
                let result: FinishedItem.Result
                var bytes = 0
                switch outcome {
                case .done(let output):
                    result = .done(output: output)
                    bytes = max(0, worker.outputBytes(output))
                case .failed(let reason):
                    result = .failed(reason)
                }
                return FinishedItem(
                    index: entry.index, item: entry.item, queueSequence: entry.queueSequence, result: result, bytes: bytes
                )
            }
        }
        phaseWillComplete = { job, batch in try worker.phaseWillComplete(job: job, into: batch) }
        commitGroup = { done, job, batch in
            let typed = try done.map { entry -> (output: Worker.Output, item: WorkItem) in
                guard let output = entry.output as? Worker.Output else {
                    throw RunnerError.workerContract("was handed an output of another phase")
                }
                return (output, entry.item)
            }
            return try worker.commitGroup(typed, job: job, into: batch)
        }
    }

    init(_ worker: any PhaseWorker) {
        self = Self.open(worker)
    }

    private static func open<Worker: PhaseWorker>(_ worker: Worker) -> ErasedWorker {
        ErasedWorker(typed: worker)
    }
}

/// Failures of the runner itself, not of an item.
public struct RunnerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, and what to do about it.
    public let description: String

    static func workerContract(_ what: String) -> RunnerError {
        RunnerError(description: "a phase worker broke its contract: it \(what)")
    }

    static func noIdentity() -> RunnerError {
        RunnerError(description: "cannot tell this process's boot id and start time from /proc; leases need them")
    }

    static func planMismatch(job: String, phases: Int, workers: Int) -> RunnerError {
        RunnerError(description: "job \(job) has \(phases) phases but its definition has \(workers) workers")
    }
}
