import Foundation
import IngestTestSupport
import Testing

@Suite("bad input: exit codes, messages, and an untouched store")
struct BadInputTests {
    static let malformedIDs = ["bad id", String(repeating: "a", count: 129), "", "..", "a/b", "é", "semi;colon"]

    @Test("an unknown job id exits 66 for status, pause, resume and history, changing nothing")
    func unknownJob() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "known")
        let dataBefore = try #require(fileBytes(sandbox.store + "/data.mdb"))
        for command in ["status", "pause", "resume", "history"] {
            let output = try await sandbox.run(command, "unknown-job")
            expectFailure(output, 66)
            #expect(output.stderr.contains("unknown-job"), "\(command): \(output.stderr)")
        }
        expectFailure(try await sandbox.run("status", "unknown-job", "--json"), 66)
        expectFailure(try await sandbox.run("history", "unknown-job", "--json"), 66)
        #expect(fileBytes(sandbox.store + "/data.mdb") == dataBefore, "a failed command changed data.mdb")
        #expect(try await sandbox.listedIDs() == ["known"])
    }

    @Test("a malformed job id exits 64 before anything opens", arguments: malformedIDs)
    func malformedID(_ id: String) async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "known")
        let dataBefore = try #require(fileBytes(sandbox.store + "/data.mdb"))
        for command in ["status", "pause", "resume", "history"] {
            expectFailure(try await sandbox.run(command, id), 64)
        }
        expectFailure(try await sandbox.run("submit", sandbox.source, "--id", id), 64)
        #expect(fileBytes(sandbox.store + "/data.mdb") == dataBefore)
        #expect(try await sandbox.listedIDs() == ["known"])

        // Validation comes first: a store that does not exist is not created, and the
        // answer is still "usage", not "no store".
        let nowhere = sandbox.path("nowhere")
        for command in ["status", "pause", "resume", "history"] {
            expectFailure(try await sandbox.run(command, id, store: nowhere), 64)
        }
        expectFailure(try await sandbox.run("submit", sandbox.source, "--id", id, store: nowhere), 64)
        #expect(!fileExists(nowhere))
    }

    @Test("a store path that is a regular file exits 73 and the file is untouched")
    func storeIsAFile() async throws {
        let sandbox = try Sandbox()
        let file = sandbox.path("plain-file")
        let contents = Data("not a store\n".utf8)
        try contents.write(to: URL(fileURLWithPath: file))
        let commands: [[String]] = [
            ["submit", sandbox.source], ["submit", sandbox.source, "--id", "j"], ["status"], ["status", "j"],
            ["list"], ["list", "--json"], ["pause", "j"], ["resume", "j"], ["history", "j"],
        ]
        for command in commands {
            let output = try await sandbox.runRaw(command + ["--store", file])
            expectFailure(output, 73)
            #expect(output.stderr.contains(file), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(file) == contents)
    }

    @Test("a store that does not exist: read and job commands exit 66 and create nothing")
    func storeMissing() async throws {
        let sandbox = try Sandbox()
        let missing = sandbox.path("no-store-here")
        let commands: [[String]] = [
            ["status"], ["status", "--json"], ["status", "j"], ["list"], ["list", "--json"],
            ["list", "--status", "pending"], ["history", "j"], ["pause", "j"], ["resume", "j"],
        ]
        for command in commands {
            let output = try await sandbox.runRaw(command + ["--store", missing])
            expectFailure(output, 66)
            #expect(output.stderr.contains(missing), "\(command): \(output.stderr)")
            #expect(!fileExists(missing), "\(command) created the store directory")
        }
    }

    @Test("an empty store directory is no store: 66, and nothing is created in it")
    func storeDirectoryEmpty() async throws {
        let sandbox = try Sandbox()
        let empty = try sandbox.makeDirectory("empty-store")
        for command in [["status"], ["list"], ["status", "j"], ["history", "j"], ["pause", "j"], ["resume", "j"]] {
            expectFailure(try await sandbox.runRaw(command + ["--store", empty]), 66)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
    }

    @Test("usage errors exit 64 with an Error: line")
    func usageErrors() async throws {
        let sandbox = try Sandbox()
        let commands: [[String]] = [
            ["bogus"], ["submit"], ["status", "a", "b"], ["list", "--status"], ["pause"], ["resume"], ["history"],
            ["submit", sandbox.source, "--no-such-flag"], ["status", "--json=maybe"],
        ]
        for command in commands {
            let output = try await sandbox.runRaw(command + ["--store", sandbox.store])
            expectFailure(output, 64)
        }
        #expect(!fileExists(sandbox.store))
    }
}
