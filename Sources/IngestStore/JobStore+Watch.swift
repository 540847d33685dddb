public import IngestCore

extension JobStore {
    /// Every unfinished job (pending or running, from the `by_status` index) and the jobs
    /// `ids` names whatever their status, in id order, from one read transaction.
    ///
    /// For a live view that polls: the transaction ends before this returns, so polling
    /// never holds a reader open between polls (a long-lived reader would keep writers from
    /// reusing pages and make the file grow).
    public func unfinishedJobs(including ids: Set<JobID> = []) throws -> [JobSnapshot] {
        try read { txn in
            var wanted = ids
            wanted.formUnion(try jobIDs(status: .running, in: txn))
            wanted.formUnion(try jobIDs(status: .pending, in: txn))
            return try wanted.sorted().compactMap { try snapshot($0, in: txn) }
        }
    }
}
