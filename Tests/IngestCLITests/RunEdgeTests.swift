import Foundation
import IngestTestSupport
import Testing

@Suite("Run edge cases")
struct RunEdgeTests {
    /// LMDB keys hold at most 511 bytes; a document key holds its path, so long paths must
    /// still be ingested, exported under their full path, and found by search.
    @Test("a path of more than 800 bytes is ingested, exported whole and searchable", .timeLimit(.minutes(TestTime.minutes(1))))
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

    /// Index segments keep postings of removed chunks until a merge; search must never
    /// return them, and must find the new text.
    @Test("after a file changes, search finds the new text and never the old", .timeLimit(.minutes(TestTime.minutes(1))))
    func searchFollowsChanges() async throws {
        let world = RunWorld("search-changes")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 40, bytes: 2 * 1024, seed: 61)
        try RunCorpus.writeText("the zebrafish swims in the reef\n", to: source + "/fish.txt")
        try await world.submit(source, id: "first")
        #expect(try await world.run().status == RunExit.ok)
        let before = try await world.ingest(["search", "zebrafish", "--mode", "bm25", "--json"])
        #expect(before.stdout.contains("fish.txt"), "\(before.stdout)")

        try RunCorpus.writeText("the mongoose hunts in the grass\n", to: source + "/fish.txt")
        try await world.submit(source, id: "second")
        #expect(try await world.run().status == RunExit.ok)
        for mode in ["bm25", "hybrid"] {
            let old = try await world.ingest(["search", "zebrafish", "--mode", mode, "--json"])
            #expect(!old.stdout.contains("zebrafish"), "\(mode) returned the removed text: \(old.stdout)")
        }
        let new = try await world.ingest(["search", "mongoose", "--mode", "bm25", "--json"])
        #expect(new.stdout.contains("fish.txt") && new.stdout.contains("mongoose"), "\(new.stdout)")
        try await world.expectVerifies()
    }

    @Test("--pause-on-battery: on battery nothing starts (exit 75); on mains power the job completes", .timeLimit(.minutes(TestTime.minutes(1))))
    func pauseOnBattery() async throws {
        let world = RunWorld("battery")
        let source = world.path("corpus")
        try RunCorpus.write(into: source, files: 20, bytes: 2 * 1024, seed: 71)
        try await world.submit(source, id: "b")
        let power = world.path("power")
        for (name, attributes) in [("AC", ["type": "Mains", "online": "0"]), ("BAT0", ["type": "Battery", "status": "Discharging"])] {
            try FileManager.default.createDirectory(atPath: power + "/" + name, withIntermediateDirectories: true)
            for (attribute, value) in attributes { try RunCorpus.writeText(value + "\n", to: power + "/" + name + "/" + attribute) }
        }
        let flags = ["--pause-on-battery", "--power-supply-directory", power]
        let onBattery = try await world.run(flags)
        #expect(onBattery.status == RunExit.workRemains, "\(onBattery.status) \(onBattery.stderr)")
        #expect(onBattery.stdout.contains("on_battery"), "\(onBattery.stdout)")
        #expect(try await world.status("b").status == "pending")

        try RunCorpus.writeText("1\n", to: power + "/AC/online")
        let onMains = try await world.run(flags)
        #expect(onMains.status == RunExit.ok, "\(onMains.status) \(onMains.stderr)")
        #expect(try await world.status("b").status == "completed")
    }
}
