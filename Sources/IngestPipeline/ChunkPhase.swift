internal import IngestRunner
internal import IngestStore
internal import LMDBKit

/// A file handed from load to chunk: where to read it and the content it must have.
struct ChunkItem {
    var absolutePath: String
    var contentHash: String

    var encoded: [UInt8] { Array(contentHash.utf8) + [0] + Array(absolutePath.utf8) }

    init(absolutePath: String, contentHash: String) {
        self.absolutePath = absolutePath
        self.contentHash = contentHash
    }

    init?(decoding bytes: [UInt8]) {
        guard let split = bytes.firstIndex(of: 0) else { return nil }
        contentHash = String(decoding: bytes[..<split], as: UTF8.self)
        absolutePath = String(decoding: bytes[(split + 1)...], as: UTF8.self)
    }
}

/// chunk: reads the file again (its text is not stored twice), checks it is still the
/// content load hashed, and splits it into paragraph-aware chunks with ids derived from
/// the document, its content hash and the ordinal — so a redo overwrites the same keys.
struct ChunkPhase: PhaseWorker {
    /// A document's chunk count before the chunk phase ran.
    static let pendingChunks = UInt32.max

    struct Output: Sendable {
        let contentHash: String
        let chunks: [TextChunk]
    }

    let store: PipelineStore
    let settings: PipelineSettings
    let chunker: Chunker

    func process(_ items: [WorkItem], job: JobContext) async throws -> [ItemOutcome<Output>] {
        try items.map { item in
            guard let chunkItem = ChunkItem(decoding: item.payload) else {
                return .failed(reason: "the queue entry is damaged")
            }
            switch TextFileReader.read(path: chunkItem.absolutePath, maxBytes: settings.maxFileBytes) {
            case .success(let file) where file.contentHash == chunkItem.contentHash:
                return .done(Output(contentHash: file.contentHash, chunks: chunker.chunks(of: file.text)))
            case .success(let file):
                // A later job over the source that loaded the new content has it in hand: this
                // item is superseded. No chunks; `commit` writes nothing for a replaced document.
                if try storedContentHash(of: item.key, job: job) == file.contentHash {
                    return .done(Output(contentHash: chunkItem.contentHash, chunks: []))
                }
                return .failed(reason: "the file changed while it was being ingested; submit the source again to pick up the new content")
            case .failure(let problem):
                return .failed(reason: problem.reason)
            }
        }
    }

    /// The content hash the document record of `relativePath` holds now.
    private func storedContentHash(of relativePath: [UInt8], job: JobContext) throws -> String? {
        let key = PipelineKeys.document(PipelineKeys.collection(job.source), String(decoding: relativePath, as: UTF8.self))
        return try store.jobs.read { txn in
            try txn.get(store.documents, key).flatMap(DocumentRecord.init(decoding:))?.contentHash
        }
    }

    /// The chunks' texts (overlaps included), which `commit` stores, plus their keys.
    func outputBytes(_ output: Output) -> Int {
        output.chunks.reduce(0) { $0 + $1.text.utf8.count + 64 }
    }

    func commit(_ output: Output, for item: WorkItem, job: JobContext, into batch: StoreBatch) throws -> [WorkItem] {
        let txn = batch.transaction
        let collection = PipelineKeys.collection(job.source)
        let relativePath = String(decoding: item.key, as: UTF8.self)
        let documentKey = PipelineKeys.document(collection, relativePath)
        // The document record load wrote numbers this version's chunks; if it is gone or
        // holds other content (replaced since), these chunks belong to nothing: write none.
        guard var document = try txn.get(store.documents, documentKey).flatMap(DocumentRecord.init(decoding:)),
            document.contentHash == output.contentHash
        else { return [] }
        var handedOn: [WorkItem] = []
        handedOn.reserveCapacity(output.chunks.count)
        for chunk in output.chunks {
            let id = PipelineKeys.chunkID(collection: collection, document: document.sequence, ordinal: chunk.ordinal)
            let record = ChunkRecord(
                collection: collection, relativePath: relativePath, ordinal: UInt32(chunk.ordinal), text: chunk.text
            )
            try txn.putAppending(store.chunks, id, record.encoded())
            handedOn.append(WorkItem(key: id))
        }
        document.chunkCount = UInt32(output.chunks.count)
        try txn.put(store.documents, documentKey, document.encoded())
        return handedOn
    }
}

/// Reads chunk texts for the embed and index phases.
enum ChunkTexts {
    static func read(_ ids: [[UInt8]], store: PipelineStore) throws -> [ChunkRecord?] {
        try store.jobs.read { txn in
            try ids.map { id in try txn.get(store.chunks, id).flatMap(ChunkRecord.init(decoding:)) }
        }
    }
}
