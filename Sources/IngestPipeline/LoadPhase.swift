internal import Foundation
internal import IngestRunner
internal import IngestStore
internal import IngestCore
internal import LMDBKit

/// The load phase's input: the source directory walked in sorted order. An item's key is
/// the file's path relative to the source, so the phase's checkpoint is a path and a
/// resumed walk starts right after it.
struct LoadSource: ItemSource {
    let settings: PipelineSettings

    func items(for job: JobContext, after checkpoint: [UInt8]?, limit: Int) throws -> [WorkItem] {
        let walker = DirectoryWalker(
            source: job.source, include: try settings.include.map { try Glob($0) },
            exclude: try settings.exclude.map { try Glob($0) }, followSymlinks: settings.followSymlinks
        )
        // A source that vanished or cannot be read fails the phase: an empty walk would
        // otherwise read as "every file was deleted" and empty the index.
        if let problem = walker.sourceProblem() { throw PipelineSettingsError(problem) }
        let after = checkpoint.map { String(decoding: $0, as: UTF8.self) }
        var items: [WorkItem] = []
        for entry in walker.entries(after: after) {
            items.append(WorkItem(key: Array(entry.relativePath.utf8), payload: LoadItem(entry).encoded))
            if items.count >= limit { break }
        }
        return items
    }
}

/// What the walk says about a file: where it is, or why it cannot be read.
struct LoadItem {
    var absolutePath: String
    var problem: String?

    init(_ entry: WalkEntry) {
        absolutePath = entry.absolutePath
        problem = entry.problem
    }

    var encoded: [UInt8] {
        if let problem { return [1] + Array(problem.utf8) }
        return [0] + Array(absolutePath.utf8)
    }

    init(decoding bytes: [UInt8]) {
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        if bytes.first == 1 {
            absolutePath = ""
            problem = text
        } else {
            absolutePath = text
            problem = nil
        }
    }
}

/// load: reads each file as text and hashes it. An unchanged file (same hash as the
/// collection holds) goes no further; a new or changed one replaces its old chunks and is
/// handed to the chunk phase. When the walk is done, files the walk no longer found are
/// removed from the index.
struct LoadPhase: PhaseWorker {
    struct Output: Sendable {
        let relativePath: String
        let absolutePath: String
        let contentHash: String
        let size: UInt64
    }

    let store: PipelineStore
    let settings: PipelineSettings

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Output>] {
        items.map { item in
            let load = LoadItem(decoding: item.payload)
            if let problem = load.problem { return .failed(reason: problem) }
            switch TextFileReader.read(path: load.absolutePath, maxBytes: settings.maxFileBytes) {
            case .success(let file):
                return .done(Output(
                    relativePath: String(decoding: item.key, as: UTF8.self), absolutePath: load.absolutePath,
                    contentHash: file.contentHash, size: UInt64(file.byteCount)
                ))
            case .failure(let problem):
                return .failed(reason: problem.reason)
            }
        }
    }

    func commit(_ output: Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        let txn = batch.transaction
        let collection = PipelineKeys.collection(job.source)
        try txn.put(store.stats, IndexStatistics.collectionKey(collection), Array(job.source.utf8))
        let key = PipelineKeys.document(collection, output.relativePath)
        let existing = try txn.get(store.documents, key).flatMap(DocumentRecord.init(decoding:))
        if var existing, existing.contentHash == output.contentHash, existing.chunkCount != ChunkPhase.pendingChunks,
            existing.settingsFingerprint == settings.indexFingerprint
        {
            if existing.lastSeenBy != job.id.rawValue {
                existing.lastSeenBy = job.id.rawValue
                try txn.put(store.documents, key, existing.encoded())
            }
            return []
        }
        if let existing { try DocumentRemoval.removeChunks(of: existing, key: key, in: txn, store: store) }
        // A new version of the document: the next sequence number of its collection.
        let sequenceKey = PipelineKeys.documentSequenceKey(collection)
        let sequence = try txn.get(store.stats, sequenceKey).map { UInt32(truncatingIfNeeded: BigEndian.value($0)) } ?? 0
        try txn.put(store.stats, sequenceKey, BigEndian.bytes(UInt64(sequence) + 1))
        let record = DocumentRecord(
            contentHash: output.contentHash, size: output.size, chunkCount: ChunkPhase.pendingChunks,
            lastSeenBy: job.id.rawValue, settingsFingerprint: settings.indexFingerprint, sequence: sequence
        )
        try txn.put(store.documents, key, record.encoded())
        try IndexStatistics.addDocumentBytes(Int64(clamping: output.size) - Int64(clamping: existing?.size ?? 0), in: txn, store: store)
        return [WorkItem(key: item.key, payload: ChunkItem(absolutePath: output.absolutePath, contentHash: output.contentHash).encoded)]
    }

    /// Files of the collection that this job's walk did not see were deleted from the source —
    /// except under directories the walk could not read, which are kept as they were.
    func phaseWillComplete(job: JobContext, into batch: StoreBatch) throws {
        let txn = batch.transaction
        let collection = PipelineKeys.collection(job.source)
        let unreadableDirectories = try batch.failedReceipts(job.id, phase: 0).map(\.itemKey).filter { $0.last == 0x2F }
        var gone: [([UInt8], DocumentRecord)] = []
        try txn.scan(store.documents, prefix: collection) { key, value in
            let path = key.dropFirst(collection.count)
            let underUnreadable = unreadableDirectories.contains { path.starts(with: $0) }
            if !underUnreadable, let record = DocumentRecord(decoding: value), record.lastSeenBy != job.id.rawValue {
                gone.append((Array(key), record))
            }
            return true
        }
        for (key, record) in gone {
            try DocumentRemoval.removeChunks(of: record, key: key, in: txn, store: store)
            try txn.delete(store.documents, key)
            try IndexStatistics.addDocumentBytes(-Int64(clamping: record.size), in: txn, store: store)
        }
    }
}
