import Foundation
import IngestTestSupport
import Testing

/// Runs every row of `BadInputCatalogue` against the real binary, and keeps the README's
/// table (and docs/bad-input-catalogue.md) equal to the rows.
@Suite("bad-input catalogue")
struct BadInputCatalogueTests {
    // One row at a time: the rows start many processes, and the runner tests beside them
    // have time limits a loaded machine can miss.
    @Test("each bad input gives its documented exit code and message, without a crash or a hang", .serialized, .timeLimit(.minutes(TestTime.minutes(3))),
          arguments: BadInputCatalogue.rows)
    func row(_ row: BadInput) async throws {
        let context = CatalogueContext(world: RunWorld("catalogue-\(row.id)"))
        let output = try await row.perform(context)
        #expect(!output.timedOut, "\(row.id): did not finish in time")
        #expect(output.status == row.exitCode, "\(row.id): exit \(output.status), not \(row.exitCode)\nstdout: \(output.stdout)\nstderr: \(output.stderr)")
        #expect((output.stdout + "\n" + output.stderr).contains(row.message), "\(row.id): no \"\(row.message)\" in\nstdout: \(output.stdout)\nstderr: \(output.stderr)")
        for marker in ["Fatal error", "Stack dump", "Segmentation fault", "Program crashed", "Assertion"] {
            #expect(!output.stderr.contains(marker), "\(row.id) crashed:\n\(output.stderr)")
        }
        // An error exit explains itself on the first line of stderr.
        if [64, 65, 66, 70, 73, 74].contains(row.exitCode) {
            let first = output.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("ingest: error:") || first.hasPrefix("Error:"), "\(row.id): first stderr line \(first.debugDescription)")
        }
    }

    @Test("the catalogue covers every category with unique ids and documented exit codes")
    func shape() {
        let rows = BadInputCatalogue.rows
        #expect(rows.count >= 40, "only \(rows.count) rows")
        #expect(Set(rows.map(\.id)).count == rows.count, "duplicate ids")
        for category in BadInput.Category.allCases {
            #expect(rows.filter { $0.category == category }.count >= 3, "\(category) has fewer than 3 rows")
        }
        for row in rows {
            #expect(documentedExitCodes.contains(row.exitCode), "\(row.id): exit \(row.exitCode) is not documented")
            #expect(!row.message.isEmpty && !row.message.contains("`"), "\(row.id): message fragment \(row.message.debugDescription)")
        }
    }

    @Test("README.md's catalogue (between the bad-input-catalogue markers) is exactly the generated table")
    func readmeMatches() throws {
        let readme = try String(contentsOf: CatalogueTable.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(
            CatalogueTable.section(of: readme),
            "README.md has no \(CatalogueTable.begin) … \(CatalogueTable.end) section; paste docs/bad-input-catalogue.md between the markers"
        )
        #expect(section == CatalogueTable.markdown(BadInputCatalogue.rows), "README.md's catalogue differs from the rows; paste docs/bad-input-catalogue.md between the markers")
    }

    /// `INGEST_WRITE_CATALOGUE=1 swift test --skip-build --filter BadInputCatalogueTests` rewrites
    /// the file from the rows; otherwise the file must match them.
    @Test("docs/bad-input-catalogue.md is exactly the generated table")
    func docsMatch() throws {
        let url = CatalogueTable.packageRoot.appendingPathComponent("docs/bad-input-catalogue.md")
        let table = CatalogueTable.markdown(BadInputCatalogue.rows)
        let document = CatalogueTable.begin + "\n" + table + CatalogueTable.end + "\n"
        if ProcessInfo.processInfo.environment["INGEST_WRITE_CATALOGUE"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try document.write(to: url, atomically: true, encoding: .utf8)
        }
        let written = try String(contentsOf: url, encoding: .utf8)
        #expect(written == document, "docs/bad-input-catalogue.md is stale; regenerate it with INGEST_WRITE_CATALOGUE=1")
    }
}
