internal import IngestCore

extension JobStore {
    /// Items done and failed by one phase name, summed over every job.
    public struct PhaseTotals: Sendable, Equatable {
        /// The phase name.
        public let phase: String
        /// Items finished (done or failed) by every job's phase of that name.
        public var processed: UInt64
        /// Items that failed in every job's phase of that name.
        public var itemsFailed: UInt64
    }

    /// Per phase name, the items every job's phase of that name has processed and failed, in
    /// the order the names first appear in plans: one read transaction over the job and phase
    /// records (no lease lookups), for metrics.
    public func phaseTotals() throws -> [PhaseTotals] {
        try read { txn in
            var totals: [PhaseTotals] = []
            var index: [String: Int] = [:]
            for id in try jobIDs(status: nil, in: txn) {
                guard let (record, phases) = try loadRecord(id, in: txn) else { continue }
                for (spec, state) in zip(record.plan.phases, phases) {
                    let slot: Int
                    if let known = index[spec.name] {
                        slot = known
                    } else {
                        slot = totals.count
                        index[spec.name] = slot
                        totals.append(PhaseTotals(phase: spec.name, processed: 0, itemsFailed: 0))
                    }
                    // Saturating: damaged counts near 2^64 must not trap `ingest metrics`.
                    totals[slot].processed = saturatingSum(totals[slot].processed, state.processed)
                    totals[slot].itemsFailed = saturatingSum(totals[slot].itemsFailed, state.itemsFailed)
                }
            }
            return totals
        }
    }
}

private func saturatingSum(_ lhs: UInt64, _ rhs: UInt64) -> UInt64 {
    let (sum, overflow) = lhs.addingReportingOverflow(rhs)
    return overflow ? .max : sum
}
