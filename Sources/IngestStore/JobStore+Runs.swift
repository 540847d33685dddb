internal import LMDBKit

extension JobStore {
    /// Records the latest `ingest run` of this store (see `RunRecord`), replacing the one before.
    public func recordRun(_ run: RunRecord) throws {
        try write { batch in
            try batch.transaction.put(databases.meta, Keys.Meta.lastRun, RunRecordCoding.encode(run))
        }
    }

    /// The latest run recorded with `recordRun`, or `nil` when the store never ran.
    public func lastRun() throws -> RunRecord? {
        try read { txn in
            try Keys.Meta.lastRun.withUnsafeBytes { key in
                try txn.withValue(in: databases.meta, forKey: key) { value -> RunRecord? in
                    guard let value else { return nil }
                    do throws(RecordError) { return try RunRecordCoding.decode(value) } catch {
                        throw StoreError.corruptRecord("meta", key: Keys.Meta.lastRun, error)
                    }
                }
            }
        }
    }
}
