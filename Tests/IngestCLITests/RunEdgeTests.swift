import Foundation
import IngestTestSupport
import Testing

@Suite("Run edge cases")
struct RunEdgeTests {
    /// LMDB keys hold at most 511 bytes; a document key holds its path, so long paths must
    /// still be ingested, exported under their full path, and found by search.
    @Test("a path of more than 800 bytes is ingested, exported whole and searchable", .timeLimit(.minutes(1)))
    func longPaths() async throws {
        let world = RunWorld("long-path")
        let source = world.path("corpus")
        let deep = source + "/" + [String](repeating: String(repeating: "d", count: 200), count: 3).joined(separator: "/")
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        let name = String(repeating: "f", count: 200) + ".txt"
        try RunCorpus.writeText("zymurgy lives deep down here\n", to: deep + "/" + name)
        try RunCorpus.writeText("a short one\n", to: source + "/a.txt")
        try await world.submit(source, id: "long")
        let run = try await world.run()
        #expect(run.status == RunExit.ok, "\(run.status) \(run.stderr)")
        let job = try await world.status("long")
        #expect(job.status == "completed" && job.itemsFailed == 0, "\(job)")
        let documents = try await world.exportLines().map(\.document)
        let relative = String(deep.dropFirst(source.count + 1)) + "/" + name
        #expect(relative.utf8.count > 800)
        #expect(documents == ["a.txt", relative])
        let hits = try await world.ingest(["search", "zymurgy", "--mode", "bm25", "--json"])
        #expect(hits.status == 0)
        #expect(hits.stdout.contains(String(repeating: "f", count: 200)))
        try await world.expectVerifies()
    }
}
