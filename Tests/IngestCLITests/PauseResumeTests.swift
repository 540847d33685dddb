import Foundation
import IngestTestSupport
import Testing

@Suite("ingest pause, resume and history")
struct PauseResumeTests {
    @Test("pause holds, pause again says already, resume releases, history records it in order")
    func pauseResumeHistory() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "pr")
        let submitted = try await sandbox.statusJSON("pr")

        let paused = try await sandbox.run("pause", "pr")
        #expect(paused.status == 0)
        #expect(paused.stdout.contains("pr"))
        let held = try await sandbox.statusJSON("pr")
        #expect(held["held"] as? Bool == true)
        #expect(held["activity"] as? String == "held")
        #expect(held["status"] as? String == "running")
        #expect(held["currentPhase"] as? String == "load")
        let heldPhases = try phases(of: held)
        #expect(heldPhases.first?["status"] as? String == "paused")
        #expect(heldPhases.first?["pauseReason"] as? String == "user")
        #expect(heldPhases.dropFirst().allSatisfy { $0["status"] as? String == "not_started" })
        let submittedAt = try #require(parseTimestamp(submitted["updatedAt"]))
        let pausedAt = try #require(parseTimestamp(held["updatedAt"]))
        #expect(pausedAt >= submittedAt)

        let again = try await sandbox.run("pause", "pr")
        #expect(again.status == 0)
        #expect(again.stdout.lowercased().contains("already"), "second pause: \(again.stdout)")
        #expect(try await sandbox.statusJSON("pr")["activity"] as? String == "held")

        let resumed = try await sandbox.run("resume", "pr")
        #expect(resumed.status == 0)
        #expect(resumed.stdout.contains("pr"))
        let released = try await sandbox.statusJSON("pr")
        #expect(released["held"] as? Bool == false)
        #expect(released["activity"] as? String != "held")
        let releasedPhases = try phases(of: released)
        #expect(releasedPhases.first?["status"] as? String != "paused")
        #expect(isNull(releasedPhases.first?["pauseReason"]), "pauseReason after resume: \(releasedPhases.first?["pauseReason"] ?? "missing")")

        let resumedAgain = try await sandbox.run("resume", "pr")
        #expect(resumedAgain.status == 0)
        #expect(resumedAgain.stdout.contains("not paused"), "resume of a job that is not held: \(resumedAgain.stdout)")

        // Text history: submitted, then paused by user, then resumed by user.
        let text = try await sandbox.run("history", "pr")
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let indices = try ["submitted", "paused by user", "resumed by user"].map { label in
            try #require(lines.firstIndex { $0.contains(label) }, "history lacks \"\(label)\":\n\(text.stdout)")
        }
        #expect(indices == indices.sorted() && Set(indices).count == 3, "history out of order:\n\(text.stdout)")
        #expect(lines.contains { $0.contains("load") && $0.contains("not_started → paused") && $0.contains("user") }, "\(text.stdout)")

        // JSON history: the same events, sequences increasing.
        let json = try await sandbox.run("history", "pr", "--json")
        #expect(json.status == 0)
        let entries = try jsonArray(json.stdout)
        let events = entries.compactMap { $0["event"] as? String }
        #expect(events.count == entries.count)
        let eventOrder = ["submitted", "paused_by_user", "resumed_by_user"].map { events.firstIndex(of: $0) }
        #expect(eventOrder.allSatisfy { $0 != nil }, "events: \(events)")
        let found = eventOrder.compactMap { $0 }
        #expect(found == found.sorted(), "events out of order: \(events)")
        #expect(events.first == "submitted")
        let sequences = entries.compactMap { ($0["sequence"] as? NSNumber)?.intValue }
        #expect(sequences.count == entries.count && sequences == sequences.sorted() && Set(sequences).count == sequences.count)
        for entry in entries { #expect(parseTimestamp(entry["time"]) != nil, "entry time: \(entry)") }
        #expect(entries.contains { entry in
            entry["event"] as? String == "transition" && entry["phase"] as? String == "load"
                && entry["from"] as? String == "not_started" && entry["to"] as? String == "paused"
                && entry["reason"] as? String == "user"
        }, "no load not_started → paused (user) transition: \(json.stdout)")
    }

    @Test("pausing one job leaves the others alone")
    func pauseIsPerJob() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "left")
        try await sandbox.submit(id: "right")
        #expect(try await sandbox.run("pause", "left").status == 0)
        let other = try await sandbox.statusJSON("right")
        #expect(other["status"] as? String == "pending")
        #expect(other["activity"] as? String == "queued")
        #expect(other["held"] as? Bool == false)
        let history = try await sandbox.run("history", "right", "--json")
        #expect(try jsonArray(history.stdout).compactMap { $0["event"] as? String } == ["submitted"])
    }
}
