/// The runner's in-memory account of one phase during a run: what was fetched, what
/// finished, and what is committed. Finished items are committed in fetch order, so the
/// first phase's checkpoint (the last committed key) never skips an uncommitted item.
struct PhaseLedger {
    /// Items fetched in this run so far; the next fetched item gets this index.
    var fetched = 0
    /// The index of the next item to commit.
    var nextToCommit = 0
    /// Finished items waiting for their turn, by index.
    private(set) var finished: [Int: FinishedItem] = [:]
    /// What the outputs of `finished` will write, as their workers estimate it.
    private(set) var finishedBytes = 0
    /// The index after the run of finished items that starts at `nextToCommit`: the items
    /// before it can be committed now. Kept as items finish, because the committer asks on
    /// every hand-in, and a walk over the run costs a lookup (and a copy) per item.
    private var committableEnd = 0
    /// The fetcher found no more input (and, after the first phase, the one before completed).
    var exhausted = false
    /// The phase is completed in the store.
    var completed = false
    /// Items committed in this run.
    var committedThisRun: UInt64 = 0

    /// Fetched but not yet committed.
    var pending: Int { fetched - nextToCommit }

    /// Adds a finished item to wait for its turn.
    mutating func finish(_ item: FinishedItem) {
        if let replaced = finished.updateValue(item, forKey: item.index) { finishedBytes -= replaced.bytes }
        finishedBytes += item.bytes
        while finished.index(forKey: committableEnd) != nil { committableEnd += 1 }
    }

    /// Removes and returns the finished items that can be committed now, in order, while
    /// their bytes fit in `budget` (the first always goes); lowers `budget` by what it took.
    mutating func takeCommittable(budget: inout Int) -> [FinishedItem] {
        var taken: [FinishedItem] = []
        while nextToCommit < committableEnd, let next = finished[nextToCommit], taken.isEmpty || next.bytes <= budget {
            finished[nextToCommit] = nil
            taken.append(next)
            finishedBytes -= next.bytes
            budget -= next.bytes
            nextToCommit += 1
        }
        return taken
    }

    /// Puts back items a failed write took, so that a final commit can try them again.
    mutating func restore(_ items: [FinishedItem]) {
        nextToCommit -= items.count
        for item in items { finish(item) }
    }

    /// The input ran out and every fetched item has finished: one commit completes the phase.
    var canComplete: Bool {
        exhausted && !completed && committableCount == pending
    }

    /// How many finished items are ready to commit in order.
    var committableCount: Int { committableEnd - nextToCommit }
}
