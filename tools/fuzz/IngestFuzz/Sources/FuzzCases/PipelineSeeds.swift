@testable internal import IngestPipeline

/// Valid pipeline records, for the fuzzers to start from.
enum PipelineSeeds {
    static let collection = PipelineKeys.collection("/srv/docs")

    static var documents: [DocumentRecord] {
        [
            DocumentRecord(
                contentHash: String(repeating: "0f", count: 32), size: 1234, chunkCount: 3, lastSeenBy: "job-1",
                settingsFingerprint: "chunk 1000/100 embed hashing-256/256", sequence: 7
            ),
            DocumentRecord(
                contentHash: "", size: .max, chunkCount: ChunkPhase.pendingChunks, lastSeenBy: "", settingsFingerprint: "",
                sequence: .max
            ),
        ]
    }

    static var chunks: [ChunkRecord] {
        [
            ChunkRecord(collection: collection, relativePath: "a/b.md", ordinal: 0, text: "Grüße, world"),
            ChunkRecord(collection: collection, relativePath: "", ordinal: .max, text: ""),
        ]
    }

    static var vectors: [VectorRecord] {
        [
            VectorRecord(embedder: "hashing-8", values: [0.5, -0.5, 0, 0, 0.5, 0.5, 0, 0]),
            VectorRecord(embedder: "hashing-16", values: (0..<16).map { Float($0 % 5) - 2 }),
            VectorRecord(embedder: "exec:python3 embed.py", values: [1, -2.5, .infinity]),
            VectorRecord(embedder: "exec:python3 embed.py", values: []),
        ]
    }

    static var postings: [PostingsSegments.Posting] {
        (0..<3).map { ordinal in
            PostingsSegments.Posting(
                chunk: PipelineKeys.chunkID(collection: collection, document: 1, ordinal: ordinal), frequency: UInt32(ordinal + 1)
            )
        }
    }

    static var settings: [PipelineSettings] {
        [
            PipelineSettings(),
            PipelineSettings(
                include: ["*.md", "docs/**/*.txt"], exclude: ["[!a-c]?/", "build/"], chunking: ChunkingOptions(size: 64, overlap: 0),
                embedder: "exec:python3 embed.py", dimension: 384, embedTimeoutSeconds: 5, maxFileBytes: 1, followSymlinks: false
            ),
        ]
    }
}
