internal import Foundation

/// Runner processes of this boot that were found gone, remembered so that reading a job
/// whose lease names one does not ask `/proc` again.
///
/// Only "dead" is remembered: a pid and start time that have ended never come back within a
/// boot, so the answer cannot go stale; "alive" can change at any moment and is always read
/// afresh. The list is small and bounded — the oldest entry makes room — because a store
/// holds few distinct dead runners: every job one of them leased names the same identity.
final class DeadRunners: @unchecked Sendable {
    static let shared = DeadRunners(capacity: 64)

    private struct Entry: Equatable {
        let pid: Int32
        let startTicks: UInt64
    }

    // An NSLock rather than a Mutex: ThreadSanitizer on Linux does not see Mutex's ordering.
    private let lock = NSLock()
    private var entries: [Entry]
    private var next = 0
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        entries = []
        entries.reserveCapacity(capacity)
    }

    /// Whether this process was found gone before.
    func contains(pid: Int32, startTicks: UInt64) -> Bool {
        let wanted = Entry(pid: pid, startTicks: startTicks)
        lock.lock()
        defer { lock.unlock() }
        return entries.contains(wanted)
    }

    /// Remembers a process found gone, dropping the oldest entry when full.
    func remember(pid: Int32, startTicks: UInt64) {
        let entry = Entry(pid: pid, startTicks: startTicks)
        lock.lock()
        defer { lock.unlock() }
        guard !entries.contains(entry) else { return }
        if entries.count < capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next + 1) % capacity
        }
    }
}
