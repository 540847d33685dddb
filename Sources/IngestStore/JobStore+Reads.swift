public import IngestCore
public import LMDBKit
#if canImport(Glibc)
internal import Glibc
#endif

extension JobStore {
    /// Runs `body` in a read transaction, turning LMDB failures into `StoreError`.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        do {
            return try environment.read(body)
        } catch let error as LMDBError {
            throw StoreError.lmdb(path, error)
        }
    }

    /// The page-level problems of the store's file (see `Environment.checkStructure`).
    public func checkStructure() throws -> [StructureProblem] {
        do {
            return try environment.checkStructure()
        } catch let error as LMDBError {
            throw StoreError.lmdb(path, error)
        }
    }

    /// Whether the user holds `id` (`ingest pause`): the job record alone, no phases, no
    /// lease — cheap enough for a runner to poll.
    public func isHeld(_ id: JobID) throws -> Bool {
        try read { txn in try loadRecord(id, in: txn)?.0.held ?? false }
    }

    /// A job's full state, or `nil` when there is no such job.
    ///
    /// Throws a damaged-store ``StoreError`` when the job's record cannot be found but its
    /// phase records or journal lines can: only damage leaves half a job.
    public func job(_ id: JobID) throws -> JobSnapshot? {
        try read { txn in try snapshot(id, in: txn) }
    }

    /// Every job whose derived status is `status` (all jobs when `nil`), in id order.
    ///
    /// With a status this walks only that status's range of the `by_status` index, so
    /// finding the few running jobs among many finished ones costs only the running ones.
    public func jobs(status: JobStatus? = nil) throws -> [JobSnapshot] {
        try read { txn in
            var result: [JobSnapshot] = []
            for id in try jobIDs(status: status, in: txn) {
                if let snapshot = try snapshot(id, in: txn) { result.append(snapshot) }
            }
            return result
        }
    }

    /// Calls `body` with every job whose derived status is `status` (all when `nil`), in id
    /// order, from one consistent snapshot, without holding them all in memory.
    public func forEachJob(status: JobStatus? = nil, _ body: (JobSnapshot) throws -> Void) throws {
        try read { txn in
            for id in try jobIDs(status: status, in: txn) {
                if let snapshot = try snapshot(id, in: txn) { try body(snapshot) }
            }
        }
    }

    /// The ids of the jobs with derived status `status` (all when `nil`), in id order.
    public func jobIDs(status: JobStatus?, in txn: ReadTransaction) throws -> [JobID] {
        var ids: [JobID] = []
        if let status {
            try txn.scan(databases.byStatus, prefix: [status.rawValue]) { key, _ in
                guard let id = JobID(storedBytes: key.dropFirst()) else {
                    throw StoreError.corruptRecord("by_status", key: Array(key), RecordError(detail: "not a job id"))
                }
                ids.append(id)
                return true
            }
        } else {
            try txn.scan(databases.jobs) { key, _ in
                guard let id = JobID(storedBytes: key) else {
                    throw StoreError.corruptRecord("jobs", key: Array(key), RecordError(detail: "not a job id"))
                }
                ids.append(id)
                return true
            }
        }
        return ids
    }

    /// How many jobs have each derived status, from the index alone.
    public func countsByStatus() throws -> [JobStatus: Int] {
        try read { txn in
            var counts: [JobStatus: Int] = [:]
            for status in JobStatus.allCases {
                var count = 0
                try txn.scan(databases.byStatus, prefix: [status.rawValue]) { _, _ in
                    count += 1
                    return true
                }
                counts[status] = count
            }
            return counts
        }
    }

    /// A job's journal, oldest first.
    public func journal(_ id: JobID) throws -> [JournalEntry] {
        try read { txn in
            var entries: [JournalEntry] = []
            let prefix = Keys.jobPrefix(id)
            try txn.scan(databases.journal, prefix: prefix) { key, value in
                let sequence = key.dropFirst(prefix.count).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                do throws(RecordError) {
                    entries.append(try JournalEntry(sequence: sequence, decoding: value))
                } catch {
                    throw StoreError.corruptRecord("journal", key: Array(key), error)
                }
                return true
            }
            return entries
        }
    }

    /// The job as `txn` sees it, lease included.
    func snapshot(_ id: JobID, in txn: ReadTransaction) throws -> JobSnapshot? {
        guard let (record, phases) = try loadRecord(id, in: txn) else { return nil }
        return JobSnapshot(id: id, record: record, phases: phases, lease: try lease(id, in: txn))
    }

    /// The runner holding `id`'s lease, live or not.
    func lease(_ id: JobID, in txn: ReadTransaction) throws -> RunnerIdentity? {
        let key = Keys.lease(id)
        return try key.withUnsafeBytes { keyBytes in
            try txn.withValue(in: databases.leases, forKey: keyBytes) { value -> RunnerIdentity? in
                guard let value else { return nil }
                do throws(RecordError) { return try RunnerIdentity(decoding: value) } catch {
                    throw StoreError.corruptRecord("leases", key: key, error)
                }
            }
        }
    }

    /// The job record and every phase record of `id`, decoded.
    func loadRecord(_ id: JobID, in txn: ReadTransaction) throws -> (JobRecord, [PhaseState])? {
        let jobKey = Keys.job(id)
        let record: JobRecord? = try jobKey.withUnsafeBytes { keyBytes in
            try txn.withValue(in: databases.jobs, forKey: keyBytes) { value -> JobRecord? in
                guard let value else { return nil }
                do throws(RecordError) { return try JobRecord(decoding: value) } catch {
                    throw StoreError.corruptRecord("jobs", key: jobKey, error)
                }
            }
        }
        guard let record else {
            try expectNoTrace(of: id, in: txn)
            return nil
        }
        // One descent to the first phase, then the cursor steps through the rest: the phase
        // keys of a job are adjacent (job id · 0x00 · ordinal).
        var key = Keys.phase(id, ordinal: 0)
        let ordinalIndex = key.count - 1
        var phases: [PhaseState] = []
        phases.reserveCapacity(record.plan.count)
        try txn.withCursor(databases.phases) { cursor in
            var entry = try key.withUnsafeBytes { try cursor.seek(atOrAfter: $0) }
            for ordinal in 0..<record.plan.count {
                key[ordinalIndex] = UInt8(truncatingIfNeeded: ordinal)
                guard let found = entry, key.elementsEqual(found.key) else {
                    throw StoreError.corruptRecord("phases", key: key, RecordError(detail: "missing"))
                }
                phases.append(try PhaseRecord.decode(found.value, storedAt: key))
                if ordinal + 1 < record.plan.count { entry = try cursor.next() }
            }
        }
        return (record, phases)
    }
}

extension JobStore {
    /// Throws when a job without a record still has phase records or journal lines.
    ///
    /// A job is written whole and removed whole (`ingest gc`), so those without it mean
    /// damage, not a missing job: LMDB keeps no checksums, and one flipped bit in a key or a
    /// page's node offsets hides a record from lookups. Saying "no such job" (66) would send
    /// the user to `ingest list`; this says the store is damaged (65) and `ingest verify`
    /// tells the rest. Two seeks, and only when a lookup found nothing.
    func expectNoTrace(of id: JobID, in txn: ReadTransaction) throws {
        for (what, database) in [("phase records", databases.phases), ("journal lines", databases.journal)] {
            var found = false
            try txn.scan(database, prefix: Keys.jobPrefix(id)) { _, _ in
                found = true
                return false
            }
            if found {
                throw StoreError.corruptRecord(
                    "jobs", key: Keys.job(id), RecordError(detail: "missing, though the job's \(what) are there")
                )
            }
        }
    }

    /// Bytes free for unprivileged writers on the store's file system (`statvfs`), or `nil`
    /// when it cannot be told.
    public func freeDiskBytes() -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Writes a compacted copy of the whole store into `directory` (existing and empty): one
    /// consistent snapshot, safe while others write.
    ///
    /// The file's structure is checked first: LMDB's compacting copy follows every page
    /// without checks, and on a damaged one it overruns its own buffers.
    /// - Throws: `StoreError` when the store is damaged or the copy cannot be written.
    public func copyCompacted(to directory: String) throws {
        if let problem = try checkStructure().first {
            throw StoreError.damaged(path, "\(problem); `ingest verify` lists every problem")
        }
        do {
            try environment.copyCompacted(to: directory)
        } catch let error as LMDBError {
            throw StoreError.lmdb(directory, error)
        }
    }
}
