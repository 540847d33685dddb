public import IngestCore
internal import LMDBKit

/// What a runner needs from the store inside its group commits: leases, the durable
/// queues between phases, and item receipts. All of it is written in the batch's one
/// transaction, together with the phase records, so nothing is ever half-applied.
extension StoreBatch {
    /// Why a job could not be claimed.
    public enum ClaimRefusal: Sendable, Equatable {
        /// There is no such job.
        case missing
        /// The job is completed or failed.
        case terminal
        /// The user holds the job.
        case held
        /// Another process that is still running holds the job's lease.
        case leasedByLiveRunner(RunnerIdentity)
        /// A live runner holds another job over the same source (see `claim`'s
        /// `exclusiveSource`).
        case sourceBusy(JobID)
    }

    /// How a claim went.
    public enum ClaimResult: Sendable, Equatable {
        /// The lease is this runner's now; `previousHolderDiedThisBoot` tells whether a
        /// process that died in this boot held it before (which counted an attempt).
        case claimed(previousHolderDiedThisBoot: Bool)
        /// The job cannot be claimed, and why.
        case refused(ClaimRefusal)
    }

    /// Claims `id` for `runner` if it is not terminal, not held, and no live runner holds it
    /// — nor, with `exclusiveSource`, another job over the same source.
    ///
    /// A lease left by a process that died in this boot (killed, crashed) counts an attempt
    /// on the job (`JobRecord.attempts`); one left from an earlier boot — a power cut — or
    /// released by a clean stop does not.
    /// - Parameters:
    ///   - id: The job.
    ///   - runner: The claiming process (``RunnerIdentity/current()``).
    ///   - exclusiveSource: Refuse the job while a live runner — this process included —
    ///     holds another job whose source is the same string. Jobs of the built-in pipeline
    ///     over one source share its documents and chunks; run at once, each re-chunks what
    ///     the other is embedding, and both fail. Costs a scan of the leases (jobs claimed
    ///     and not released since) and a read of each live runner's job, not of the store's jobs.
    /// - Returns: Whether the lease is `runner`'s now, or why not.
    public func claim(_ id: JobID, for runner: RunnerIdentity, exclusiveSource: Bool = true) throws -> ClaimResult {
        guard let (record, phases) = try load(id) else { return .refused(.missing) }
        if StatusRules.jobStatus(of: phases.lazy.map(\.status)).isTerminal { return .refused(.terminal) }
        if record.held { return .refused(.held) }
        let previous = try store.lease(id, in: transaction)
        if let previous, previous != runner, previous.isLive { return .refused(.leasedByLiveRunner(previous)) }
        if exclusiveSource, let other = try liveJob(over: record.source, besides: id) {
            return .refused(.sourceBusy(other))
        }
        let diedThisBoot = previous.map { $0 != runner && $0.bootID == runner.bootID } ?? false
        _ = try change(id) { record, _, events in
            if diedThisBoot { record.attempts &+= 1 }
            events.append(.claimed(runner: runner.description))
        }
        try transaction.put(store.databases.leases, Keys.lease(id), runner.encoded(claimedAt: now.millisecondsSince1970))
        return .claimed(previousHolderDiedThisBoot: diedThisBoot)
    }

    /// Another job over `source` whose lease a live runner holds. A lease of this process
    /// counts (another runner of this process is running that job): the process is live.
    private func liveJob(over source: String, besides id: JobID) throws -> JobID? {
        var leased: [(JobID, RunnerIdentity)] = []
        try transaction.scan(store.databases.leases) { key, value in
            if let other = JobID(storedBytes: key), other != id, let holder = try? RunnerIdentity(decoding: value) {
                leased.append((other, holder))
            }
            return true
        }
        for (other, holder) in leased where holder.isLive {
            if let (otherRecord, _) = try load(other), otherRecord.source == source { return other }
        }
        return nil
    }

    /// The runner holding `id`'s lease, live or not; `nil` when no one holds it.
    public func leaseHolder(of id: JobID) throws -> RunnerIdentity? {
        try store.lease(id, in: transaction)
    }

    /// Drops `runner`'s lease on `id`; a lease held by someone else is left alone.
    public func releaseLease(_ id: JobID, for runner: RunnerIdentity) throws {
        if try store.lease(id, in: transaction) == runner {
            try transaction.delete(store.databases.leases, Keys.lease(id))
        }
    }

    /// Appends `payload` to the durable queue feeding phase `ordinal` of `id`.
    /// - Returns: The entry's sequence number.
    @discardableResult
    public func enqueue(_ id: JobID, phase ordinal: Int, payload: [UInt8]) throws -> UInt64 {
        // The queue's counter sits under the bare prefix, which sorts before its entries. A
        // sequence number is never reused, even after the queue ran empty, so a consumer
        // reading "after sequence n" never misses an entry.
        let counterKey = Keys.queuePrefix(id, phase: ordinal)
        let next = try transaction.get(store.databases.queue, counterKey).map { Keys.sequence(from: $0) } ?? 0
        try transaction.put(store.databases.queue, Keys.queue(id, phase: ordinal, sequence: next), payload)
        try transaction.put(store.databases.queue, counterKey, Keys.sequenceBytes(next &+ 1))
        return next
    }

    /// Removes a consumed entry from phase `ordinal`'s queue.
    public func dequeue(_ id: JobID, phase ordinal: Int, sequence: UInt64) throws {
        try transaction.delete(store.databases.queue, Keys.queue(id, phase: ordinal, sequence: sequence))
    }

    /// Records that phase `ordinal` finished `itemKey`: done, or failed with a reason.
    public func putReceipt(_ id: JobID, phase ordinal: Int, itemKey: [UInt8], failure: String?) throws {
        try transaction.put(
            store.databases.items, Keys.item(id, phase: ordinal, itemKey: itemKey),
            ItemReceipt.encode(failure: failure, at: now)
        )
    }

    /// How many entries wait in phase `ordinal`'s queue, as this transaction sees it.
    public func queueLength(_ id: JobID, phase ordinal: Int) throws -> Int {
        try store.queueLength(id, phase: ordinal, in: transaction)
    }

    /// The receipts of phase `ordinal`'s failed items, as this transaction sees them.
    public func failedReceipts(_ id: JobID, phase ordinal: Int) throws -> [ItemReceipt] {
        try store.receipts(id, phase: ordinal, in: transaction).filter { $0.failure != nil }
    }

    /// Removes every queue entry and receipt of `id` (used when a job is deleted).
    public func removeWork(of id: JobID) throws {
        try transaction.deleteAll(store.databases.queue, prefix: Keys.jobPrefix(id))
        try transaction.deleteAll(store.databases.items, prefix: Keys.jobPrefix(id))
    }
}

/// An entry of a phase's durable queue.
public struct QueueEntry: Sendable, Hashable {
    /// The entry's place in the queue; sequence numbers only grow, and are never reused.
    public let sequence: UInt64
    /// The bytes that were enqueued.
    public let payload: [UInt8]
}

/// A phase's receipt for one item.
public struct ItemReceipt: Sendable, Hashable {
    static let version: UInt8 = 1
    /// The ordinal of the phase that finished the item.
    public let phase: Int
    /// The item's key.
    public let itemKey: [UInt8]
    /// `nil` when the item was done; the reason when it failed.
    public let failure: String?
    /// When the receipt was written (the group commit's time).
    public let time: Timestamp

    /// The stored value of a receipt; its phase and item key are in the record's key.
    static func encode(failure: String?, at time: Timestamp) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + (failure?.utf8.count ?? 0))
        writer.write(version)
        writer.write(optional: failure)
        writer.write(time.millisecondsSince1970)
        return writer.bytes
    }

    init(phase: Int, itemKey: [UInt8], decoding buffer: UnsafeRawBufferPointer) throws(RecordError) {
        var reader = ByteReader(buffer)
        let version = try reader.readByte()
        guard version == Self.version else { throw .unknownVersion(version) }
        self.phase = phase
        self.itemKey = itemKey
        failure = try reader.readOptionalString()
        time = Timestamp(millisecondsSince1970: try reader.readUInt64())
        try reader.expectEnd()
    }
}

extension JobStore {
    /// Up to `limit` entries of phase `ordinal`'s queue with a sequence after `after`.
    public func queuePage(_ id: JobID, phase ordinal: Int, after: UInt64?, limit: Int) throws -> [QueueEntry] {
        try read { txn in
            var entries: [QueueEntry] = []
            let prefix = Keys.queuePrefix(id, phase: ordinal)
            let start = after.map { Keys.queue(id, phase: ordinal, sequence: $0 &+ 1) } ?? prefix
            try txn.withCursor(databases.queue) { cursor in
                var entry = try start.withUnsafeBytes { try cursor.seek(atOrAfter: $0) }
                while let current = entry, current.key.starts(with: prefix), entries.count < limit {
                    guard current.key.count == prefix.count + 8 else {
                        entry = try cursor.next()
                        continue
                    }
                    let sequence = Keys.sequence(from: current.key, after: prefix.count)
                    if let after, sequence <= after { break }
                    entries.append(QueueEntry(sequence: sequence, payload: Array(current.value)))
                    entry = try cursor.next()
                }
            }
            return entries
        }
    }

    /// How many entries wait in phase `ordinal`'s queue.
    public func queueLength(_ id: JobID, phase ordinal: Int) throws -> Int {
        try read { txn in try queueLength(id, phase: ordinal, in: txn) }
    }

    func queueLength(_ id: JobID, phase ordinal: Int, in txn: ReadTransaction) throws -> Int {
        var count = 0
        let prefix = Keys.queuePrefix(id, phase: ordinal)
        try txn.scan(databases.queue, prefix: prefix) { key, _ in
            if key.count == prefix.count + 8 { count += 1 }
            return true
        }
        return count
    }

    /// The receipts of `id`'s failed items, in phase and key order.
    public func failedItems(_ id: JobID) throws -> [ItemReceipt] {
        try read { txn in try receipts(id, phase: nil, in: txn).filter { $0.failure != nil } }
    }

    /// The receipts of `id` (of one phase, when given), in phase and key order.
    func receipts(_ id: JobID, phase: Int?, in txn: ReadTransaction) throws -> [ItemReceipt] {
        var receipts: [ItemReceipt] = []
        let prefix = phase.map { Keys.queuePrefix(id, phase: $0) } ?? Keys.jobPrefix(id)
        let jobPrefixCount = Keys.jobPrefix(id).count
        try txn.scan(databases.items, prefix: prefix) { key, value in
            guard key.count > jobPrefixCount else { return true }
            let ordinal = Int(key[jobPrefixCount])
            let itemKey = Array(key[(jobPrefixCount + 1)...])
            do throws(RecordError) {
                receipts.append(try ItemReceipt(phase: ordinal, itemKey: itemKey, decoding: value))
            } catch {
                throw StoreError.corruptRecord("items", key: Array(key), error)
            }
            return true
        }
        return receipts
    }

    /// Whether phase `ordinal` of `id` has a receipt for `itemKey`.
    public func hasReceipt(_ id: JobID, phase ordinal: Int, itemKey: [UInt8]) throws -> Bool {
        try read { txn in try txn.contains(databases.items, Keys.item(id, phase: ordinal, itemKey: itemKey)) }
    }
}
