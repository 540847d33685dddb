public import IngestCore
internal import LMDBKit

/// Which finished jobs `ingest gc` removes. Only completed and failed jobs are ever
/// candidates: a pending, running or paused job is work, not history.
public struct RetentionRule: Sendable, Equatable {
    /// Remove only jobs that finished at least this long ago (by the wall clock).
    public var olderThan: Duration?
    /// The finished statuses to consider: `.completed`, `.failed`, or both.
    public var statuses: Set<JobStatus>
    /// Keep this many of the most recently finished candidates whatever their age.
    public var keepLast: Int?

    public init(olderThan: Duration? = nil, statuses: Set<JobStatus> = [.completed, .failed], keepLast: Int? = nil) {
        self.olderThan = olderThan
        self.statuses = statuses.intersection([.completed, .failed])
        self.keepLast = keepLast
    }
}

extension JobStore {
    /// The jobs `rule` selects, oldest finish first.
    ///
    /// A job's finish time is its last change. A box without a real-time clock may have
    /// stamped it with a wrong time: a finish time in the future counts as age zero (never
    /// old enough), and `keepLast`, which goes by order alone, is the safer rule there.
    public func jobsToRemove(_ rule: RetentionRule, now: Timestamp) throws -> [JobID] {
        var finished: [(id: JobID, at: Timestamp)] = []
        try read { txn in
            for status in JobStatus.allCases where rule.statuses.contains(status) {
                for id in try jobIDs(status: status, in: txn) {
                    guard let (record, phases) = try loadRecord(id, in: txn) else { continue }
                    finished.append((id, phases.compactMap(\.updatedAt).reduce(record.updatedAt, max)))
                }
            }
        }
        // Newest first; ids are time-ordered, so they break ties the same way.
        finished.sort { ($0.at, $0.id.rawValue) > ($1.at, $1.id.rawValue) }
        var selected = finished.dropFirst(rule.keepLast ?? 0)
        if let olderThan = rule.olderThan {
            let ageMilliseconds = olderThan.wholeMilliseconds
            selected = selected.filter { job in
                now.millisecondsSince1970 >= job.at.millisecondsSince1970
                    && now.millisecondsSince1970 - job.at.millisecondsSince1970 >= ageMilliseconds
            }
        }
        return selected.reversed().map(\.id)
    }

    /// Removes `ids` with all their records — phases, journal, lease, queues, receipts — in
    /// transactions of at most `batchSize` jobs, so removing a hundred thousand jobs never
    /// needs one huge transaction. A job that is no longer finished when its transaction
    /// runs (someone retried it) is kept.
    /// - Returns: The jobs removed.
    public func removeFinishedJobs(_ ids: [JobID], batchSize: Int = 500) throws -> [JobID] {
        var removed: [JobID] = []
        var start = ids.startIndex
        while start < ids.endIndex {
            let end = min(start + max(1, batchSize), ids.endIndex)
            removed += try write { batch in try ids[start..<end].filter { try batch.removeFinishedJob($0) } }
            start = end
        }
        return removed
    }
}

extension StoreBatch {
    /// Deletes a completed or failed job and everything the store keeps for it.
    /// - Returns: `false` (and changes nothing) when there is no such job or it is not finished.
    func removeFinishedJob(_ id: JobID) throws -> Bool {
        guard let (_, phases) = try load(id) else { return false }
        let status = StatusRules.jobStatus(of: phases.lazy.map(\.status))
        guard status == .completed || status == .failed else { return false }
        let databases = store.databases
        _ = try transaction.delete(databases.jobs, Keys.job(id))
        _ = try transaction.delete(databases.byStatus, Keys.byStatus(status, id))
        _ = try transaction.delete(databases.leases, Keys.lease(id))
        for database in [databases.phases, databases.journal] {
            _ = try transaction.deleteAll(database, prefix: Keys.jobPrefix(id))
        }
        try removeWork(of: id)
        return true
    }
}
