import Foundation
import IngestTestSupport
import Testing

@Suite("ingest submit and store selection")
struct SubmitTests {
    @Test("submit prints a valid generated id and exits 0; each submit without --id is a new job")
    func generatedID() async throws {
        let sandbox = try Sandbox()
        let output = try await sandbox.run("submit", sandbox.source)
        #expect(output.status == 0)
        let id = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!id.isEmpty && id.count <= 128)
        #expect(id.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-").contains($0) })
        #expect(output.stdout == id + "\n", "submit prints only the id")
        #expect(fileExists(sandbox.store + "/data.mdb"))

        let job = try await sandbox.statusJSON(id)
        #expect(job["id"] as? String == id)
        #expect(job["source"] as? String == sandbox.source)

        let second = try await sandbox.submit()
        #expect(second != id)
        #expect(Set(try await sandbox.listedIDs()) == [id, second])
    }

    @Test("--id X uses X; an identical second submit is idempotent")
    func givenIDIsIdempotent() async throws {
        let sandbox = try Sandbox()
        let first = try await sandbox.run("submit", sandbox.source, "--id", "nightly-2024.01_a")
        #expect(first.status == 0)
        #expect(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "nightly-2024.01_a")
        let before = try await sandbox.statusJSON("nightly-2024.01_a")

        let again = try await sandbox.run("submit", sandbox.source, "--id", "nightly-2024.01_a")
        #expect(again.status == 0)
        #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "nightly-2024.01_a")

        let jobs = try await sandbox.listJSON()
        #expect(jobs.count == 1)
        #expect(jobs.first?["id"] as? String == "nightly-2024.01_a")
        let after = try await sandbox.statusJSON("nightly-2024.01_a")
        #expect(after["createdAt"] as? String == before["createdAt"] as? String, "the job was not recreated")
    }

    @Test("an id of exactly 128 characters is accepted")
    func longestID() async throws {
        let sandbox = try Sandbox()
        let id = String(repeating: "x", count: 128)
        #expect(try await sandbox.submit(id: id) == id)
        #expect(try await sandbox.statusJSON(id)["id"] as? String == id)
    }

    @Test("the same id with a different source exits 65 and changes nothing")
    func sameIDOtherSource() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "job1")
        let otherSource = try sandbox.makeDirectory("other")
        let dataBefore = try #require(fileBytes(sandbox.store + "/data.mdb"))

        let output = try await sandbox.run("submit", otherSource, "--id", "job1")
        expectFailure(output, 65)
        #expect(output.stderr.contains("job1"))
        #expect(fileBytes(sandbox.store + "/data.mdb") == dataBefore)
        #expect(try await sandbox.statusJSON("job1")["source"] as? String == sandbox.source)
        #expect(try await sandbox.listJSON().count == 1)
    }

    @Test("a missing source exits 66 and creates no store")
    func missingSource() async throws {
        let sandbox = try Sandbox()
        let output = try await sandbox.run("submit", sandbox.path("no-such-source"))
        expectFailure(output, 66)
        #expect(output.stderr.contains("no-such-source"))
        #expect(!fileExists(sandbox.store), "the store directory was created")

        // Through INGEST_STORE too.
        let viaEnvironment = try await sandbox.runRaw(
            ["submit", sandbox.path("no-such-source")], environment: ["INGEST_STORE": sandbox.path("env-store")]
        )
        expectFailure(viaEnvironment, 66)
        #expect(!fileExists(sandbox.path("env-store")))
    }

    @Test("a missing source exits 66 and leaves an existing store unchanged")
    func missingSourceExistingStore() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "keep")
        let dataBefore = try #require(fileBytes(sandbox.store + "/data.mdb"))
        expectFailure(try await sandbox.run("submit", sandbox.path("gone"), "--id", "new"), 66)
        #expect(fileBytes(sandbox.store + "/data.mdb") == dataBefore)
        #expect(try await sandbox.listedIDs() == ["keep"])
    }

    @Test("a single file is a valid source")
    func fileSource() async throws {
        let sandbox = try Sandbox()
        let file = sandbox.source + "/a.txt"
        let id = try await sandbox.submit(id: "one-file", source: file)
        #expect(try await sandbox.statusJSON(id)["source"] as? String == file)
    }

    @Test("INGEST_STORE selects the store when --store is absent")
    func environmentStore() async throws {
        let sandbox = try Sandbox()
        let envStore = sandbox.path("env-store")
        let environment: [String: String?] = ["INGEST_STORE": envStore]
        let submitted = try await sandbox.runRaw(["submit", sandbox.source, "--id", "via-env"], environment: environment)
        #expect(submitted.status == 0)
        #expect(fileExists(envStore + "/data.mdb"))
        #expect(!fileExists(sandbox.path("xdg-default/ingest")), "the default store was used instead")

        let status = try await sandbox.runRaw(["status", "via-env", "--json"], environment: environment)
        #expect(status.status == 0)
        #expect(try jsonObject(status.stdout)["id"] as? String == "via-env")
        let summary = try await sandbox.runRaw(["status", "--json"], environment: environment)
        #expect(try jsonObject(summary.stdout)["store"] as? String == envStore)
    }

    @Test("--store wins over INGEST_STORE")
    func flagBeatsEnvironment() async throws {
        let sandbox = try Sandbox()
        let envStore = sandbox.path("env-store")
        let environment: [String: String?] = ["INGEST_STORE": envStore]
        let output = try await sandbox.run("submit", sandbox.source, "--id", "flagged", environment: environment)
        #expect(output.status == 0)
        #expect(fileExists(sandbox.store + "/data.mdb"))
        #expect(!fileExists(envStore), "INGEST_STORE was used although --store was given")

        // A read through the flag sees the job; one through the environment finds no store.
        #expect(try await sandbox.run("status", "flagged", environment: environment).status == 0)
        expectFailure(try await sandbox.runRaw(["status", "flagged"], environment: environment), 66)
        #expect(!fileExists(envStore))
    }

    @Test("the default store is $XDG_STATE_HOME/ingest")
    func defaultStoreXDG() async throws {
        let sandbox = try Sandbox()
        let stateHome = try sandbox.makeDirectory("state")
        let home = try sandbox.makeDirectory("home")
        let environment: [String: String?] = ["INGEST_STORE": nil, "XDG_STATE_HOME": stateHome, "HOME": home]
        let output = try await sandbox.runRaw(["submit", sandbox.source, "--id", "xdg"], environment: environment)
        #expect(output.status == 0)
        #expect(fileExists(stateHome + "/ingest/data.mdb"))
        #expect(!fileExists(home + "/.local/state/ingest"))

        let summary = try await sandbox.runRaw(["status", "--json"], environment: environment)
        #expect(try jsonObject(summary.stdout)["store"] as? String == stateHome + "/ingest")
        #expect(try await sandbox.runRaw(["status", "xdg"], environment: environment).status == 0)
    }

    @Test("without XDG_STATE_HOME the default store is ~/.local/state/ingest")
    func defaultStoreHome() async throws {
        let sandbox = try Sandbox()
        let home = try sandbox.makeDirectory("home")
        let environment: [String: String?] = ["INGEST_STORE": nil, "XDG_STATE_HOME": nil, "HOME": home]
        let output = try await sandbox.runRaw(["submit", sandbox.source, "--id", "home"], environment: environment)
        #expect(output.status == 0)
        #expect(fileExists(home + "/.local/state/ingest/data.mdb"))
        let summary = try await sandbox.runRaw(["status", "--json"], environment: environment)
        #expect(try jsonObject(summary.stdout)["store"] as? String == home + "/.local/state/ingest")
    }
}
