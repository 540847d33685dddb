import Foundation
import IngestTestSupport
import Testing

@Suite("damaged and foreign stores: 65, and the files are left alone")
struct DamagedStoreTests {
    static func readCommands(_ id: String) -> [[String]] {
        [["status"], ["status", "--json"], ["status", id], ["status", id, "--json"], ["list"], ["list", "--json"], ["history", id]]
    }

    static func writeCommands(_ id: String, source: String) -> [[String]] {
        [["submit", source], ["submit", source, "--id", "another"], ["pause", id], ["resume", id]]
    }

    @Test("data.mdb of random bytes: 65, bytes unchanged, no lock.mdb")
    func randomBytes() async throws {
        let sandbox = try Sandbox()
        let store = try sandbox.makeDirectory("random-store")
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try garbage.write(to: URL(fileURLWithPath: store + "/data.mdb"))

        for command in Self.readCommands("j") {
            let output = try await sandbox.runRaw(command + ["--store", store])
            expectFailure(output, 65)
            #expect(output.stderr.contains(store), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(store + "/data.mdb") == garbage)
        #expect(!fileExists(store + "/lock.mdb"), "a read command created lock.mdb next to a foreign file")

        for command in Self.writeCommands("j", source: sandbox.source) {
            expectFailure(try await sandbox.runRaw(command + ["--store", store]), 65)
        }
        #expect(fileBytes(store + "/data.mdb") == garbage)
        #expect(!fileExists(store + "/lock.mdb"), "a write command created lock.mdb next to a foreign file")
    }

    @Test("data.mdb truncated after many submits: 65 for reads and writes, size unchanged")
    func truncated() async throws {
        let sandbox = try Sandbox()
        for index in 0..<200 { try await sandbox.submit(id: "job\(index)") }
        let dataPath = sandbox.store + "/data.mdb"
        let fullSize = try fileSize(dataPath)
        try #require(fullSize > 4 * 16_384, "the store is only \(fullSize) bytes; truncation would prove nothing")

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataPath))
        try handle.truncate(atOffset: 16_384)
        try handle.close()
        let truncatedBytes = try #require(fileBytes(dataPath))
        #expect(truncatedBytes.count == 16_384)

        for command in Self.readCommands("job1") + Self.writeCommands("job1", source: sandbox.source) {
            let output = try await sandbox.runRaw(command + ["--store", sandbox.store])
            expectFailure(output, 65)
            #expect(output.stderr.contains(sandbox.store), "\(command): \(output.stderr)")
        }
        #expect(try fileSize(dataPath) == 16_384, "a command grew or rewrote the truncated data.mdb")
        #expect(fileBytes(dataPath) == truncatedBytes)
    }

    @Test("a store with a newer schema version is refused with 65 and left unchanged")
    func newerSchema() async throws {
        let sandbox = try Sandbox()
        try await sandbox.submit(id: "old")
        let dataPath = sandbox.store + "/data.mdb"
        // The `meta` record schema_version → u32 sits in a leaf node as key bytes directly
        // followed by value bytes; LMDB keeps no page checksums, so patching it in place
        // yields a valid store that claims schema 9.
        let patched = try patchSchemaVersion(at: dataPath, to: 9)
        try #require(patched > 0, "schema_version record not found in data.mdb")
        let bytes = try #require(fileBytes(dataPath))

        for command in Self.readCommands("old") + Self.writeCommands("old", source: sandbox.source) {
            let output = try await sandbox.runRaw(command + ["--store", sandbox.store])
            expectFailure(output, 65)
            #expect(output.stderr.contains("schema") && output.stderr.contains("9"), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(dataPath) == bytes, "a command changed a store of a newer schema")
    }

    @Test("a zero-byte data.mdb (a first submit cut off) is no store: 66, nothing created")
    func emptyDataFile() async throws {
        let sandbox = try Sandbox()
        let store = try sandbox.makeDirectory("empty-data")
        #expect(FileManager.default.createFile(atPath: store + "/data.mdb", contents: Data()))
        for command in Self.readCommands("j") {
            let output = try await sandbox.runRaw(command + ["--store", store])
            expectFailure(output, 66)
            #expect(output.stderr.contains(store), "\(command): \(output.stderr)")
        }
        #expect(try fileSize(store + "/data.mdb") == 0)
        #expect(!fileExists(store + "/lock.mdb"), "a read command created lock.mdb")

        // A submit initialises the empty file into a working store.
        let id = try await sandbox.submit(id: "after", source: nil, store: store)
        #expect(id == "after")
    }

    /// Rewrites every `schema_version` record in `path` (a big-endian u32 below 256: the
    /// version this build writes) to `version`; returns how many.
    private func patchSchemaVersion(at path: String, to version: UInt8) throws -> Int {
        var data = try #require(fileBytes(path))
        let pattern = Data("schema_version".utf8) + Data([0, 0, 0])
        var count = 0
        var start = data.startIndex
        while let range = data.range(of: pattern, in: start..<data.endIndex), range.upperBound < data.endIndex {
            data[range.upperBound] = version
            count += 1
            start = range.upperBound
        }
        try data.write(to: URL(fileURLWithPath: path))
        return count
    }
}
