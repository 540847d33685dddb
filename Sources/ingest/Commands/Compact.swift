import ArgumentParser
import IngestStore

struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite the store without its free pages and swap it in atomically; refused (75) while a runner has it open.",
        discussion: """
            The compacted copy is written beside the store, synced and verified before one \
            atomic rename puts it in place, so a power cut at any moment leaves either the old \
            store or the new one. Processes that only read (status, watch) may stay open.             Exits 0, 75 while a writer has the store open, 66 when it does not exist, 65 when             it is damaged.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        try reportingErrors {
            let result = try JobStore.compact(at: storeOptions.resolvedPath, logger: CLILogging.logger)
            print("compacted \(Self.size(result.bytesBefore)) → \(Self.size(result.bytesAfter)); verified")
        }
    }

    static func size(_ bytes: UInt64) -> String {
        let mebibytes = Double(bytes) / 1_048_576
        return mebibytes >= 10 ? "\(Int(mebibytes.rounded())) MiB" : "\((mebibytes * 100).rounded() / 100) MiB"
    }
}
