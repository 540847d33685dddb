internal import IngestCore
internal import LMDBKit

extension StoreVerifier {
    /// The runner's per-item state: every receipt in `items` and every entry in `queue`
    /// must belong to an existing job and one of its phases; receipts must decode. A queue
    /// holds a counter under its bare prefix (the next sequence) and entries under prefix ·
    /// sequence, each below the counter.
    static func verifyWork(
        _ databases: StoreDatabases, in txn: ReadTransaction, phaseCounts: [JobID: Int],
        report: (String, UnsafeRawBufferPointer, String) -> Void
    ) throws {
        var counter: (prefix: [UInt8], next: UInt64)?
        for (name, database) in [("items", databases.items), ("queue", databases.queue)] {
            try txn.scan(database) { key, value in
                guard let split = key.firstIndex(of: Keys.separator), let id = JobID(storedBytes: key[..<split]),
                    split + 1 < key.count
                else {
                    report(name, key, "key is not a job id, a phase and an item")
                    return true
                }
                guard let phases = phaseCounts[id] else {
                    report(name, key, "entry for a job that does not exist")
                    return true
                }
                let ordinal = Int(key[split + 1])
                guard ordinal < phases else {
                    report(name, key, "entry for phase \(ordinal), but the job has \(phases) phases")
                    return true
                }
                if name == "queue" {
                    if key.count == split + 2 {
                        if value.count == 8 {
                            counter = (Array(key), Keys.sequence(from: Array(value)))
                        } else {
                            report(name, key, "queue counter is \(value.count) bytes, not 8")
                        }
                    } else if key.count != split + 2 + 8 {
                        report(name, key, "key does not end in an 8-byte sequence")
                    } else if let counter, key.starts(with: counter.prefix), Keys.sequence(from: key, after: split + 2) >= counter.next {
                        report(name, key, "entry is at or past its queue's counter \(counter.next)")
                    }
                    return true
                }
                let itemKey = Array(key[(split + 2)...])
                do { _ = try ItemReceipt(phase: ordinal, itemKey: itemKey, decoding: value) } catch {
                    report(name, key, "receipt does not decode: \(error)")
                }
                return true
            }
        }
    }
}
