import Foundation
import IngestTestSupport
import Testing

/// Submitting a source again ingests only what changed, and removes what was deleted.
@Suite("Run incremental: a re-submitted source")
struct RunIncrementalTests {
    @Test("change one, delete one, add one: load sees all, chunk only 2, the deleted file's chunks are gone, export equals a fresh store's", .timeLimit(.minutes(TestTime.minutes(2))))
    func changeDeleteAdd() async throws {
        let world = RunWorld("run-incremental")
        let source = world.path("docs")
        let names = try RunCorpus.write(into: source, files: 8, bytes: 3 * 1024, seed: 41)
        try await world.submit(source, id: "first", ["--chunk-size", "1024", "--overlap", "64"])
        let firstRun = try await world.run()
        #expect(firstRun.status == RunExit.ok, "\(firstRun.status) \(firstRun.stderr)")
        let before = try await world.exportLines()
        let changed = names[2], deleted = names[5], added = "new-file.txt"
        #expect(Set(before.map(\.document)) == Set(names))
        #expect(before.contains { $0.document == deleted })

        // Change one file, delete one, add one.
        try RunCorpus.writeText(
            "A rewritten document.\n\nIt now talks about zebras and quantum teapots only.\n", to: source + "/" + changed
        )
        try FileManager.default.removeItem(atPath: source + "/" + deleted)
        try RunCorpus.writeText("A brand new document about lighthouses.\n", to: source + "/" + added)

        try await world.submit(source, id: "second", ["--chunk-size", "1024", "--overlap", "64"])
        let secondRun = try await world.run()
        #expect(secondRun.status == RunExit.ok, "\(secondRun.status) \(secondRun.stderr)")
        let second = try await world.status("second")
        #expect(second.status == "completed", "\(second)")
        #expect(second.phases[0].name == "load" && second.phases[0].processed == 8, "load sees every file: \(second)")
        #expect(second.phases[1].name == "chunk" && second.phases[1].processed == 2, "chunk only the changed and the added file: \(second)")
        #expect(second.itemsFailed == 0)

        let after = try await world.exportLines()
        let documents = Set(after.map(\.document))
        #expect(!documents.contains(deleted), "the deleted file's chunks are still exported")
        #expect(documents.contains(added))
        #expect(documents == Set(names).subtracting([deleted]).union([added]))
        // Unchanged files keep exactly their lines.
        let unchanged = Set(names).subtracting([changed, deleted])
        let unchangedBefore = before.filter { unchanged.contains($0.document) }.map { "\($0.document)#\($0.ordinal) \($0.textHash) \($0.vectorHash)" }
        let unchangedAfter = after.filter { unchanged.contains($0.document) }.map { "\($0.document)#\($0.ordinal) \($0.textHash) \($0.vectorHash)" }
        #expect(unchangedBefore == unchangedAfter)
        #expect(after.allSatisfy { $0.indexed && !$0.vectorHash.isEmpty })

        // Search no longer finds the deleted text and finds the new one.
        let search = try await world.ingest(["search", "lighthouses", "--json", "-k", "3", "--mode", "bm25"])
        #expect(search.status == 0)
        let hits = try RunJSON.decode([RunSearchHit].self, search.stdout)
        #expect(hits.first?.document == added, "\(hits.map(\.document))")

        // A fresh store ingesting the final directory exports the same bytes.
        let fresh = world.path("fresh")
        try await world.submit(source, id: "fresh", ["--chunk-size", "1024", "--overlap", "64"], store: fresh)
        #expect(try await world.run(store: fresh).status == RunExit.ok)
        let freshExport = try await world.export(store: fresh)
        #expect(try await world.export() == freshExport, "incremental export differs from a fresh store's")
        try await world.expectVerifies()
    }

    @Test("re-submitting unchanged files with another embedder and chunk size: the index follows the new settings", .timeLimit(.minutes(TestTime.minutes(1))))
    func changedSettings() async throws {
        let world = RunWorld("run-incremental-settings")
        let source = world.path("docs")
        try RunCorpus.write(into: source, files: 4, bytes: 3 * 1024, seed: 43)
        try await world.submit(source, id: "old")
        #expect(try await world.run().status == RunExit.ok)
        let settings = ["--embedder", "hashing-384", "--chunk-size", "512", "--overlap", "32"]
        try await world.submit(source, id: "new", settings)
        #expect(try await world.run().status == RunExit.ok)
        let new = try await world.status("new")
        #expect(new.status == "completed" && new.phase("load")?.processed == 4, "\(new)")

        let fresh = world.path("fresh")
        try await world.submit(source, id: "new", settings, store: fresh)
        #expect(try await world.run(store: fresh).status == RunExit.ok)
        let expected = try await world.export(store: fresh)
        let actual = try await world.export()
        #expect(new.phase("chunk")?.processed == 4, "nothing was re-chunked: \(new)")
        #expect(actual == expected, "the index still holds the old settings' chunks and vectors")
    }

    @Test("re-submitting an unchanged source: load processes every file, nothing else is redone", .timeLimit(.minutes(TestTime.minutes(1))))
    func unchangedSource() async throws {
        let world = RunWorld("run-incremental-same")
        let source = world.path("docs")
        try RunCorpus.write(into: source, files: 5, bytes: 2 * 1024, seed: 42)
        try await world.submit(source, id: "one")
        #expect(try await world.run().status == RunExit.ok)
        let before = try await world.export()
        try await world.submit(source, id: "two")
        #expect(try await world.run().status == RunExit.ok)
        let two = try await world.status("two")
        #expect(two.status == "completed")
        #expect(two.phases.map(\.processed) == [5, 0, 0, 0], "\(two)")
        #expect(try await world.export() == before)
    }
}
