import ArgumentParser
import IngestPipeline
import IngestStore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every job record, phase record and index of the store; exits 65 when something is wrong.",
        discussion: "Exits 0 when the store is sound, 66 when it does not exist."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let problems = try reportingErrors {
            let store = try storeOptions.openForReading()
            return try StoreVerifier.verify(store, additional: { try Self.pipelineProblems(store) })
        }
        if json {
            try JSONOutput.print(problems.map { ["database": $0.database, "key": $0.key, "problem": $0.problem] })
        } else if problems.isEmpty {
            print("ok: every page, record and index of the store is consistent")
        } else {
            for problem in problems { print(problem.description) }
        }
        if !problems.isEmpty {
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            printError("ingest: error: \(count) in the store at \(storeOptions.resolvedPath) (listed on stdout); restore it from a backup")
            throw ExitStatus.badData
        }
    }

    /// The pipeline's records, when the store has them (a store only a host used does not).
    static func pipelineProblems(_ store: JobStore) throws -> [Inconsistency] {
        guard PipelineStore.exists(in: store) else { return [] }
        return try PipelineVerifier.verify(PipelineStore(store))
    }
}
