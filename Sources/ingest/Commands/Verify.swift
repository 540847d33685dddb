import ArgumentParser
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
            return try StoreVerifier.verify(store)
        }
        if json {
            try JSONOutput.print(problems.map { ["database": $0.database, "key": $0.key, "problem": $0.problem] })
        } else if problems.isEmpty {
            print("ok: every record decodes and the status index agrees with the phases")
        } else {
            for problem in problems { print(problem.description) }
        }
        if !problems.isEmpty { throw ExitStatus.badData }
    }
}
