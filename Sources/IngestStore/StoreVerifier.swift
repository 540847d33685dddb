internal import IngestCore
internal import LMDBKit

/// One thing `StoreVerifier` found wrong, with the key it is about.
public struct Inconsistency: Sendable, Hashable, CustomStringConvertible {
    /// The named database the record is in (`jobs`, `phases`, `by_status`, …).
    public let database: String
    /// The record's key, printable ASCII as is and other bytes as `\xNN`.
    public let key: String
    /// What is wrong with it.
    public let problem: String

    /// The database, the key and the problem, on one line.
    public var description: String { "\(database) \(key): \(problem)" }

    init(database: String, key: String, problem: String) {
        self.database = database
        self.key = key
        self.problem = problem
    }

    /// A problem with the record under `key` (raw bytes, shown printable) in `database`.
    public init(database: String, key: some Collection<UInt8>, problem: String) {
        self.init(database: database, key: StoreError.printable(Array(key)), problem: problem)
    }

    /// A page-level problem: keyed by the nearest key, or by the page when there is none.
    init(_ structure: StructureProblem) {
        database = structure.database
        key = structure.key.map(StoreError.printable) ?? structure.page.map { "page \($0)" } ?? "-"
        problem = (structure.key != nil ? structure.page.map { "page \($0): " } ?? "" : "") + structure.detail
    }
}

/// Walks every record and index of a store and reports what does not add up: records
/// that do not decode, missing phases, `by_status` entries that disagree with the status
/// derived from the phases, journal lines past the job's sequence, unreadable leases.
public enum StoreVerifier {
    /// Checks the whole store: first the B-trees of the file page by page (without trusting
    /// them), then — only when they are sound, as LMDB could not read them safely otherwise —
    /// every record, in one read transaction (a consistent snapshot).
    /// - Parameters:
    ///   - store: The store to check.
    ///   - additional: Checks of other layers' records (the pipeline's), run only when the
    ///     structure is sound.
    /// - Returns: Every inconsistency found; empty when the store is sound.
    public static func verify(_ store: JobStore, additional: () throws -> [Inconsistency] = { [] }) throws -> [Inconsistency] {
        let structure = try store.checkStructure()
        guard structure.isEmpty else { return structure.map(Inconsistency.init) }
        return try store.read { txn in try verify(store.databases, in: txn) } + additional()
    }

    static func verify(_ databases: StoreDatabases, in txn: ReadTransaction) throws -> [Inconsistency] {
        var found: [Inconsistency] = []
        func report(_ database: String, _ key: some Collection<UInt8>, _ problem: String) {
            found.append(Inconsistency(database: database, key: StoreError.printable(Array(key)), problem: problem))
        }
        var derived: [JobID: JobStatus] = [:]
        var journalEnds: [JobID: UInt64] = [:]
        var phaseCounts: [JobID: Int] = [:]
        try txn.scan(databases.jobs) { key, value in
            guard let id = JobID(storedBytes: key) else {
                report("jobs", key, "key is not a valid job id")
                return true
            }
            let record: JobRecord
            do { record = try JobRecord(decoding: value) } catch {
                report("jobs", key, "record does not decode: \(error)")
                return true
            }
            journalEnds[id] = record.nextJournalSequence
            phaseCounts[id] = record.plan.count
            var statuses: [PhaseStatus] = []
            for ordinal in 0..<record.plan.count {
                let phaseKey = Keys.phase(id, ordinal: ordinal)
                guard let bytes = try txn.get(databases.phases, phaseKey) else {
                    report("phases", phaseKey, "phase record is missing")
                    continue
                }
                do {
                    statuses.append(try bytes.withUnsafeBytes { buffer throws(RecordError) in try PhaseRecord.decode(buffer) }.status)
                } catch {
                    report("phases", phaseKey, "record does not decode: \(error)")
                }
            }
            if statuses.count == record.plan.count { derived[id] = StatusRules.jobStatus(of: statuses) }
            return true
        }
        var indexed: [JobID: [JobStatus]] = [:]
        try txn.scan(databases.byStatus) { key, _ in
            guard let first = key.first, let status = JobStatus(rawValue: first), let id = JobID(storedBytes: key.dropFirst()) else {
                report("by_status", key, "key is not a status byte and a job id")
                return true
            }
            indexed[id, default: []].append(status)
            return true
        }
        for (id, statuses) in indexed where journalEnds[id] == nil {
            report("by_status", Keys.byStatus(statuses[0], id), "entry for a job that does not exist")
        }
        for (id, status) in derived.sorted(by: { $0.key < $1.key }) {
            let entries = indexed[id] ?? []
            if entries != [status] {
                let listed = entries.isEmpty ? "no entry" : entries.map(\.description).joined(separator: ", ")
                report("by_status", id.bytes, "job is \(status) by its phases, but the index has \(listed)")
            }
        }
        try txn.scan(databases.journal) { key, value in
            guard let split = key.firstIndex(of: Keys.separator), let id = JobID(storedBytes: key[..<split]),
                key.count - split - 1 == 8
            else {
                report("journal", key, "key is not a job id and a sequence")
                return true
            }
            let sequence = key[(split + 1)...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard let end = journalEnds[id] else {
                report("journal", key, "line for a job that does not exist")
                return true
            }
            if sequence >= end { report("journal", key, "line \(sequence) is past the job's last line \(end)") }
            do { _ = try JournalEntry(sequence: sequence, decoding: value) } catch {
                report("journal", key, "line does not decode: \(error)")
            }
            return true
        }
        try txn.scan(databases.leases) { key, value in
            do { _ = try RunnerIdentity(decoding: value) } catch {
                report("leases", key, "lease does not decode: \(error)")
            }
            return true
        }
        try verifyWork(databases, in: txn, phaseCounts: phaseCounts, report: report)
        return found
    }
}
