import Foundation
import Testing

/// The DocC articles show only code that is compiled and run: every ```swift block of every
/// article in the catalogs must appear verbatim (at any uniform indentation) in one of the
/// example files the tests build and run. Change the example, then paste it into the article.
@Suite struct DocSnippetTests {
    /// The package's root, from this file's path (Tests/IngestRunnerTests/…).
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    private static let catalogs = ["Sources/IngestRunner/IngestRunner.docc", "Sources/IngestStore/IngestStore.docc"]

    private static let examples = [
        "Tests/IngestRunnerTests/GettingStartedExample.swift",
        "Tests/IngestStoreTests/StoreByHandExample.swift",
    ]

    /// The ```swift blocks of a markdown text, each as its lines.
    static func swiftBlocks(in markdown: String) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil {
                if trimmed == "```swift" { current = [] }
            } else if trimmed == "```" {
                blocks.append(current ?? [])
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// Whether `block` appears in `source` as consecutive lines, all indented alike.
    static func appears(_ block: [String], in source: String) -> Bool {
        guard !block.isEmpty else { return false }
        for indent in stride(from: 0, through: 16, by: 4) {
            let prefix = String(repeating: " ", count: indent)
            let indented = block.map { $0.isEmpty ? "" : prefix + $0 }.joined(separator: "\n")
            if ("\n" + source).contains("\n" + indented + "\n") { return true }
        }
        return false
    }

    private static func read(_ relativePath: String) throws -> String {
        try String(contentsOfFile: root + "/" + relativePath, encoding: .utf8)
    }

    private static func articles() throws -> [String] {
        try catalogs.flatMap { catalog in
            try FileManager.default.contentsOfDirectory(atPath: root + "/" + catalog)
                .filter { $0.hasSuffix(".md") }.sorted().map { catalog + "/" + $0 }
        }
    }

    @Test("every Swift block of the articles is code the tests compile and run")
    func articlesShowCompiledCode() throws {
        let sources = try Self.examples.map(Self.read)
        let articles = try Self.articles()
        #expect(articles.contains("Sources/IngestRunner/IngestRunner.docc/GettingStarted.md"))
        var checked = 0
        for article in articles {
            for block in Self.swiftBlocks(in: try Self.read(article)) {
                checked += 1
                #expect(
                    sources.contains { Self.appears(block, in: $0) },
                    "\(article): the block starting \"\(block.first ?? "")\" is not in \(Self.examples.joined(separator: " or ")); copy it from there"
                )
            }
        }
        let gettingStarted = try Self.read("Sources/IngestRunner/IngestRunner.docc/GettingStarted.md")
        #expect(Self.swiftBlocks(in: gettingStarted).count >= 8, "the getting-started article shows the example's code")
        #expect(checked >= 9)
    }

    @Test("the check catches a block that drifted from the example (negative control)")
    func driftIsCaught() throws {
        let source = try Self.read(Self.examples[0])
        let markdown = "Text.\n\n```swift\nfunc wordCountPlan() throws -> Plan {\n    try Plan(phases: [\n```\n"
        let block = try #require(Self.swiftBlocks(in: markdown).first)
        #expect(Self.appears(block, in: source), "the block as it is in the example is found")

        let drifted = block.map { $0.replacingOccurrences(of: "wordCountPlan", with: "wordCountPlan2") }
        #expect(!Self.appears(drifted, in: source), "a renamed function is caught")
        let reindented = block.map { $0.replacingOccurrences(of: "    try", with: "  try") }
        #expect(!Self.appears(reindented, in: source), "a block whose lines are indented unlike the example is caught")
        #expect(!Self.appears(block + ["}"], in: source), "a line the example does not have next is caught")
    }
}
