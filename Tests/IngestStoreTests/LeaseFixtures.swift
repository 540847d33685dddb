import Foundation
import IngestCore
import LMDBKit

@testable import IngestStore

extension JobStore {
    /// Writes a lease as if `holder` had claimed job `id`.
    func plantLease(_ id: JobID, _ holder: RunnerIdentity) throws {
        try write { batch in
            try batch.transaction.put(databases.leases, Keys.lease(id), holder.encoded(claimedAt: 0))
        }
    }
}

extension RunnerIdentity {
    /// The test process's parent: a live runner that is not this process.
    static func parentProcess() -> RunnerIdentity? {
        guard let me = current(), let ticks = startTicks(of: getppid()) else { return nil }
        return RunnerIdentity(bootID: me.bootID, pid: getppid(), startTicks: ticks)
    }
}
