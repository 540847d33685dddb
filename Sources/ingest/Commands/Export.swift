import ArgumentParser
import Foundation
import IngestCore
import IngestPipeline
import IngestStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the index as sorted JSON lines, one per chunk, so two stores can be compared byte for byte.",
        discussion: "Exits 66 when the store or the job given with --job does not exist."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Only the chunks of this job's source.", valueName: "id"))
    var job: String?

    func validate() throws {
        if let job {
            do { _ = try JobID(validating: job) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForReading()
            var sources: Set<String>?
            if let job {
                let id = try JobID(validating: job)
                guard let snapshot = try store.job(id) else { throw StoreError.jobNotFound(id) }
                sources = [snapshot.record.source]
            }
            guard PipelineStore.exists(in: store) else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var output = Data()
            try IndexExport(PipelineStore(store)).forEachChunk(sources: sources) { chunk in
                output.append(try encoder.encode(ExportLine(chunk)))
                output.append(0x0A)
                if output.count >= 1 << 16 {
                    FileHandle.standardOutput.write(output)
                    output.removeAll(keepingCapacity: true)
                }
            }
            FileHandle.standardOutput.write(output)
        }
    }
}

private struct ExportLine: Encodable {
    let source: String
    let document: String
    let ordinal: Int
    let textHash: String
    let vectorHash: String
    let indexed: Bool

    init(_ chunk: ExportedChunk) {
        source = chunk.source
        document = chunk.document
        ordinal = chunk.ordinal
        textHash = chunk.textHash
        vectorHash = chunk.vectorHash
        indexed = chunk.indexed
    }
}
