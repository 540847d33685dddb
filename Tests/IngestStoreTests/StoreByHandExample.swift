// The store-only host of the IngestStore landing page (Sources/IngestStore/IngestStore.docc/
// IngestStore.md): it does its own work and keeps only its phase state in the store.
// StoreByHandExampleTests runs it; DocSnippetTests (IngestRunnerTests) checks that the
// page's Swift blocks appear here verbatim.

import IngestCore
import IngestStore

/// Runs job `id`'s phase "convert" over `pages` pages, calling `convert` for each and
/// recording a checkpoint after it, then completes the phase. After a crash, a second call
/// goes on after the last recorded page: at most the page in progress is converted again.
/// - Throws: What `convert` throws (the phase stays running, to resume), or `StoreError`.
func convertPages(of id: JobID, pages: UInt64, in store: JobStore, convert: (UInt64) throws -> Void) throws {
    guard let job = try store.job(id), let (_, phase) = job.phase(named: "convert") else {
        throw StoreError.jobNotFound(id)
    }
    switch phase.status {
    case .notStarted: try store.startPhase(id, "convert")
    case .paused: try store.resumePhase(id, "convert")
    case .failed: try store.retryPhase(id, "convert")
    case .running: break  // a crash left it running: go on from its checkpoint
    case .completed: return
    }
    var page = UInt64(String(decoding: phase.checkpoint, as: UTF8.self)).map { $0 + 1 } ?? 0
    while page < pages {
        try convert(page)
        // One write transaction: progress and checkpoint land together or not at all.
        try store.recordProgress(id, "convert", processed: page + 1, total: pages, checkpoint: Array(String(page).utf8))
        page += 1
    }
    try store.completePhase(id, "convert")
}
