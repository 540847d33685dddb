import ArgumentParser
import Foundation
import IngestPipeline
import IngestStore

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search the index for QUERY.", discussion: "Exits 66 when the store does not exist."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "What to look for.")
    var query: String

    @Option(name: .customShort("k"), help: "How many results.")
    var k: Int = 5

    @Option(help: ArgumentHelp("bm25, vector or hybrid.", valueName: "mode"))
    var mode: SearchModeArgument = .hybrid

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be between 1 and 1000") }
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("QUERY must not be empty") }
    }

    func run() async throws {
        let hits = try await reportingErrors { () async throws -> [SearchHit] in
            let store = try storeOptions.openForReading()
            guard PipelineStore.exists(in: store) else { return [] }
            return try await SearchEngine(PipelineStore(store)).search(query, k: k, mode: mode.mode)
        }
        try reportingErrors {
            if json {
                try JSONOutput.print(hits.map(SearchHitJSON.init))
                return
            }
            for (rank, hit) in hits.enumerated() {
                let score = (hit.score * 10_000).rounded() / 10_000
                print("\(rank + 1). \(hit.document) #\(hit.ordinal)  score \(score)")
                let snippet = hit.text.split(whereSeparator: \.isNewline).joined(separator: " ")
                print("   " + (snippet.count > 160 ? String(snippet.prefix(160)) + "…" : snippet))
            }
        }
    }
}

struct SearchModeArgument: ExpressibleByArgument {
    let mode: SearchMode
    static let hybrid = SearchModeArgument(mode: .hybrid)
    private init(mode: SearchMode) { self.mode = mode }

    init?(argument: String) {
        guard let mode = SearchMode(rawValue: argument) else { return nil }
        self.mode = mode
    }

    /// How `--help` and the man page show the default: the mode's name, not this type's.
    var defaultValueDescription: String { mode.rawValue }

    static var allValueStrings: [String] { SearchMode.allCases.map(\.rawValue) }
}

struct SearchHitJSON: Encodable {
    let source: String
    let document: String
    let ordinal: Int
    let score: Double
    let text: String

    init(_ hit: SearchHit) {
        source = hit.source
        document = hit.document
        ordinal = hit.ordinal
        score = hit.score
        text = hit.text
    }
}
