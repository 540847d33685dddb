import Foundation
import IngestTestSupport
import Testing

@Suite("ingest status and list")
struct StatusListTests {
    static let phaseKeys = ["name", "status", "processed", "total", "pauseReason", "attempts", "lastError"]
    static let jobKeys = [
        "id", "status", "activity", "progress", "currentPhase", "phases", "itemsFailed", "createdAt", "updatedAt",
    ]
    static let phaseStatuses: Set<String> = ["not_started", "running", "paused", "completed", "failed"]
    static let jobStatuses: Set<String> = ["pending", "running", "completed", "failed"]

    @Test("status ID --json of a fresh job has every contract field with the contract's values")
    func freshJobJSON() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "fresh")
        let job = try await sandbox.statusJSON("fresh")

        for key in Self.jobKeys {
            #expect(job[key] != nil, "status --json lacks \"\(key)\"")
        }
        #expect(job["id"] as? String == "fresh")
        #expect(job["status"] as? String == "pending")
        #expect(job["activity"] as? String == "queued")
        #expect((job["progress"] as? NSNumber)?.doubleValue == 0)
        #expect(job["currentPhase"] as? String == "load")
        #expect((job["itemsFailed"] as? NSNumber)?.intValue == 0)
        let created = try #require(parseTimestamp(job["createdAt"]), "createdAt is not ISO 8601: \(job["createdAt"] ?? "nil")")
        let updated = try #require(parseTimestamp(job["updatedAt"]), "updatedAt is not ISO 8601: \(job["updatedAt"] ?? "nil")")
        #expect(updated >= created)

        let phaseList = try phases(of: job)
        #expect(phaseList.map { $0["name"] as? String } == ["load", "chunk", "embed", "index"])
        for phase in phaseList {
            for key in Self.phaseKeys {
                #expect(phase[key] != nil, "phase \(phase["name"] ?? "?") lacks \"\(key)\"")
            }
            #expect(phase["status"] as? String == "not_started")
            #expect((phase["processed"] as? NSNumber)?.intValue == 0)
            #expect(isNull(phase["total"]), "the total of a phase that never ran is unknown (null)")
            #expect(isNull(phase["pauseReason"]))
            #expect((phase["attempts"] as? NSNumber)?.intValue == 0)
            #expect(isNull(phase["lastError"]))
        }
    }

    @Test("statuses in JSON are spelled as in DESIGN.md")
    func statusSpellings() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "a")
        try await sandbox.submit(id: "b")
        #expect(try await sandbox.run("pause", "b").status == 0)
        for job in try await sandbox.listJSON() {
            let status = try #require(job["status"] as? String)
            #expect(Self.jobStatuses.contains(status), "job status \(status)")
            for phase in try phases(of: job) {
                let phaseStatus = try #require(phase["status"] as? String)
                #expect(Self.phaseStatuses.contains(phaseStatus), "phase status \(phaseStatus)")
            }
        }
    }

    @Test("text status ID shows the id, the status and every phase")
    func textStatus() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "texty")
        let output = try await sandbox.run("status", "texty")
        #expect(output.status == 0)
        #expect(output.stdout.contains("texty"))
        #expect(output.stdout.contains("pending"))
        for name in ["load", "chunk", "embed", "index"] {
            let row = fields(ofLineStartingWith: name, in: output.stdout)
            #expect(row?.dropFirst().first == "not_started", "no phase row for \(name) in:\n\(output.stdout)")
        }
    }

    @Test("status without an id summarises the counts, in text and JSON")
    func summary() async throws {
        let sandbox = try Sandbox()
        for id in ["s1", "s2", "s3"] { try await sandbox.submit(id: id) }
        #expect(try await sandbox.run("pause", "s2").status == 0)

        let json = try await sandbox.run("status", "--json")
        #expect(json.status == 0)
        let summary = try jsonObject(json.stdout)
        #expect((summary["jobs"] as? NSNumber)?.intValue == 3)
        let byStatus = try #require(summary["byStatus"] as? [String: Any], "no byStatus in \(summary)")
        #expect((byStatus["pending"] as? NSNumber)?.intValue == 2)
        #expect((byStatus["running"] as? NSNumber)?.intValue == 1)
        #expect((byStatus["completed"] as? NSNumber)?.intValue == 0)
        #expect((byStatus["failed"] as? NSNumber)?.intValue == 0)
        let byActivity = try #require(summary["byActivity"] as? [String: Any], "no byActivity in \(summary)")
        #expect((byActivity["held"] as? NSNumber)?.intValue == 1)
        #expect((byActivity["queued"] as? NSNumber)?.intValue == 2)

        let text = try await sandbox.run("status")
        #expect(text.status == 0)
        #expect(fields(ofLineStartingWith: "jobs", in: text.stdout)?.dropFirst().first == "3", "\(text.stdout)")
        #expect(fields(ofLineStartingWith: "pending", in: text.stdout)?.dropFirst().first == "2", "\(text.stdout)")
        #expect(fields(ofLineStartingWith: "running", in: text.stdout)?.dropFirst().first == "1", "\(text.stdout)")
    }

    @Test("list shows every job; --status filters by the derived status")
    func listFilters() async throws {
        let sandbox = try Sandbox()
        for id in ["job-a", "job-b", "job-c", "job-d"] { try await sandbox.submit(id: id) }

        let paused = try await sandbox.run("pause", "job-b")
        #expect(paused.status == 0)
        let held = try await sandbox.statusJSON("job-b")
        #expect(held["status"] as? String == "running")
        #expect(held["activity"] as? String == "held")
        let first = try #require(try phases(of: held).first)
        #expect(first["status"] as? String == "paused")
        #expect(first["pauseReason"] as? String == "user")

        #expect(Set(try await sandbox.listedIDs()) == ["job-a", "job-b", "job-c", "job-d"])
        #expect(Set(try await sandbox.listedIDs(status: "pending")) == ["job-a", "job-c", "job-d"])
        #expect(try await sandbox.listedIDs(status: "running") == ["job-b"])
        #expect(try await sandbox.listedIDs(status: "completed").isEmpty)
        #expect(try await sandbox.listedIDs(status: "failed").isEmpty)

        // Every list entry is the object `status ID --json` prints.
        let listed = try #require(try await sandbox.listJSON(status: "running").first)
        for key in Self.jobKeys { #expect(listed[key] != nil, "list --json entry lacks \(key)") }
        #expect(listed["activity"] as? String == "held")

        // The text list: a header, then one line per job whose first column is the id.
        let text = try await sandbox.run("list")
        #expect(text.status == 0)
        let ids = text.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(Set(ids) == ["job-a", "job-b", "job-c", "job-d"], "\(text.stdout)")
        let running = try await sandbox.run("list", "--status", "running")
        #expect(running.status == 0)
        #expect(running.stdout.contains("job-b"))
        #expect(!running.stdout.contains("job-a"))
        let pending = try await sandbox.run("list", "--status", "pending")
        #expect(pending.stdout.contains("job-a") && !pending.stdout.contains("job-b"))
    }

    @Test("list --json writes each job as status --json does, escapes and timestamps included")
    func listMatchesStatus() async throws {
        let sandbox = try Sandbox()
        // A source path with every kind of byte JSON must escape, and some it must not.
        let awkward = try sandbox.makeDirectory("quote\" back\\slash\ttab\u{1}ctl/é ✓")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: awkward + "/a.txt"))
        try await sandbox.submit(id: "awkward", source: awkward)
        try await sandbox.submit(id: "fresh")
        let ran = try await sandbox.run("run", "--progress", "none")
        #expect(ran.status == 0, "\(ran.stderr)")
        try await sandbox.submit(id: "pending-one")

        let listed = try await sandbox.listJSON()
        #expect(listed.count == 3)
        for entry in listed {
            let id = try #require(entry["id"] as? String)
            var status = try await sandbox.statusJSON(id)
            status["failures"] = nil  // `status ID` adds the failed items; `list` does not
            #expect(try canonicalJSON(entry) == canonicalJSON(status), "\(id)")
        }
        let awkwardEntry = try #require(listed.first { $0["id"] as? String == "awkward" })
        #expect(awkwardEntry["source"] as? String == awkward)
        #expect(parseTimestamp(try phases(of: awkwardEntry).first?["completedAt"]) != nil)
    }

    @Test("list --status bogus exits 64 naming the valid statuses")
    func bogusStatus() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "x")
        for arguments in [["list", "--status", "bogus"], ["list", "--status", "bogus", "--json"], ["list", "--status", "paused"]] {
            let output = try await sandbox.runRaw(arguments + ["--store", sandbox.store])
            expectFailure(output, 64)
            for status in ["pending", "running", "completed", "failed"] {
                #expect(output.stderr.contains(status), "the message does not name \(status): \(output.stderr)")
            }
        }
    }
}

/// One JSON object written with sorted keys, for comparing two parsed documents.
private func canonicalJSON(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
