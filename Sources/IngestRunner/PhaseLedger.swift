/// The runner's in-memory account of one phase during a run: what was fetched, what
/// finished, and what is committed. Finished items are committed in fetch order, so the
/// first phase's checkpoint (the last committed key) never skips an uncommitted item.
struct PhaseLedger {
    /// Items fetched in this run so far; the next fetched item gets this index.
    var fetched = 0
    /// The index of the next item to commit.
    var nextToCommit = 0
    /// Finished items waiting for their turn, by index.
    var finished: [Int: FinishedItem] = [:]
    /// The fetcher found no more input (and, after the first phase, the one before completed).
    var exhausted = false
    /// The phase is completed in the store.
    var completed = false
    /// Items committed in this run.
    var committedThisRun: UInt64 = 0

    /// Fetched but not yet committed.
    var pending: Int { fetched - nextToCommit }

    /// Removes and returns the finished items that can be committed now, in order.
    mutating func takeCommittable() -> [FinishedItem] {
        var taken: [FinishedItem] = []
        while let next = finished.removeValue(forKey: nextToCommit) {
            taken.append(next)
            nextToCommit += 1
        }
        return taken
    }

    /// How many finished items are ready to commit in order.
    var committableCount: Int {
        var count = 0
        while finished[nextToCommit + count] != nil { count += 1 }
        return count
    }
}
