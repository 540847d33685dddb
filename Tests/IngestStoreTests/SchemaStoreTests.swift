import Foundation
import IngestCore
import IngestTestSupport
import LMDBKit
import Testing

@testable import IngestStore

@Suite("Schema version and foreign environments")
struct SchemaStoreTests {
    /// `value` as 4 big-endian bytes, the layout of the stored schema version.
    static func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    /// The stored schema version, read with LMDBKit directly.
    static func storedSchemaVersion(_ path: String) throws -> [UInt8]? {
        let environment = try Environment.open(path: path)
        let meta = try #require(try environment.openDatabase(named: "meta", create: false))
        return try environment.read { txn in try txn.get(meta, Array("schema_version".utf8)) }
    }

    /// Writes `version` as the store's schema version, with LMDBKit directly.
    static func storeSchemaVersion(_ version: UInt32, at path: String) throws {
        let environment = try Environment.open(path: path)
        let meta = try #require(try environment.openDatabase(named: "meta", create: false))
        try environment.write { txn in try txn.put(meta, Array("schema_version".utf8), bigEndian(version)) }
    }

    @Test("a new store records this build's schema version")
    func newStoreHasSchemaVersion() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            try StoreFixture.withStore(at: path) { _ in }
            #expect(try Self.storedSchemaVersion(path) == Self.bigEndian(JobStore.schemaVersion))
        }
    }

    @Test("a store with a newer schema version is refused and left untouched", arguments: [JobStore.AccessMode.readWrite, .readOnly])
    func newerSchemaRefused(_ mode: JobStore.AccessMode) throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in try StoreFixture.submit(store, "job-1") }
            try Self.storeSchemaVersion(JobStore.schemaVersion + 1, at: path)
            let bytes = try StoreFixture.dataFile(path)

            let error = try #require(throws: StoreError.self) { _ = try JobStore.open(at: path, mode: mode) }
            #expect(error.category == .damaged)
            #expect(error.description.contains("newer"), "unclear message: \(error)")
            #expect(error.description.contains("\(JobStore.schemaVersion + 1)"))
            #expect(try StoreFixture.dataFile(path) == bytes, "the refused open changed data.mdb")
            #expect(try Self.storedSchemaVersion(path) == Self.bigEndian(JobStore.schemaVersion + 1))

            // Putting the version back makes the store usable again, with its job.
            try Self.storeSchemaVersion(JobStore.schemaVersion, at: path)
            #expect(try StoreFixture.reopened(path, id).status == .pending)
        }
    }

    @Test("an older store is read as it is and marked with this build's version by the first write open", arguments: [UInt32(1), 2])
    func olderStore(_ version: UInt32) throws {
        #expect(version < JobStore.schemaVersion && version >= SchemaCheck.oldestReadableAsIs)
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in try StoreFixture.submit(store, "job-1") }
            try Self.storeSchemaVersion(version, at: path)
            let bytes = try StoreFixture.dataFile(path)

            do {
                let reader = try JobStore.open(at: path, mode: .readOnly)
                #expect(try reader.job(id)?.status == .pending)
            }
            #expect(try StoreFixture.dataFile(path) == bytes, "a read-only open changed data.mdb")
            #expect(try Self.storedSchemaVersion(path) == Self.bigEndian(version))

            #expect(try StoreFixture.reopened(path, id).status == .pending)
            #expect(try Self.storedSchemaVersion(path) == Self.bigEndian(JobStore.schemaVersion))
        }
    }

    @Test("a store whose meta has no schema version is damaged")
    func missingSchemaVersion() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            try StoreFixture.withStore(at: path) { store in _ = try StoreFixture.submit(store, "job-1") }
            do {
                let environment = try Environment.open(path: path)
                let meta = try #require(try environment.openDatabase(named: "meta", create: false))
                try environment.write { txn in _ = try txn.delete(meta, Array("schema_version".utf8)) }
            }
            let error = try #require(throws: StoreError.self) { _ = try JobStore.open(at: path) }
            #expect(error.category == .damaged)
            #expect(error.description.contains("schema version"))
        }
    }

    @Test("an LMDB environment that is not a store is refused as foreign, and no meta appears",
          arguments: [JobStore.AccessMode.readWrite, .readOnly])
    func foreignEnvironmentRefused(_ mode: JobStore.AccessMode) throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.path
            do {
                let environment = try Environment.open(path: path)
                let other = try #require(try environment.openDatabase(named: "someone-elses", create: true))
                try environment.write { txn in try txn.put(other, Array("key".utf8), Array("value".utf8)) }
            }
            let bytes = try StoreFixture.dataFile(path)

            let error = try #require(throws: StoreError.self) { _ = try JobStore.open(at: path, mode: mode) }
            #expect(error.category == .damaged)
            #expect(error.description.contains("not an ingest store"), "unclear message: \(error)")
            #expect(try StoreFixture.dataFile(path) == bytes, "the refused open changed data.mdb")

            let environment = try Environment.open(path: path)
            #expect(try environment.openDatabase(named: "meta", create: false) == nil, "a meta database was created")
            let other = try #require(try environment.openDatabase(named: "someone-elses", create: false))
            #expect(try environment.read { txn in try txn.get(other, Array("key".utf8)) } == Array("value".utf8))
            #expect(try environment.read { txn in try txn.mainDatabaseEntryCount() } == 1)
        }
    }

    /// A store of the current schema that lacks a named database a later build added:
    /// opening it read-write creates the database and must keep the store's identity.
    @Test("opening a store that lacks a named database keeps its store id and creation time")
    func missingDatabaseKeepsIdentity() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.path
            let storeID: [UInt8] = Array(0..<16)
            let createdAt: [UInt8] = withUnsafeBytes(of: UInt64(1_600_000_000_000).bigEndian) { Array($0) }
            let lacking = try #require(StoreDatabases.names.last)
            do {
                let environment = try Environment.open(path: path)
                for name in StoreDatabases.names.dropLast() {
                    _ = try #require(try environment.openDatabase(named: name, create: true))
                }
                let meta = try #require(try environment.openDatabase(named: "meta", create: false))
                try environment.write { txn in
                    try txn.put(meta, Array("schema_version".utf8), Self.bigEndian(JobStore.schemaVersion))
                    try txn.put(meta, Array("created_at".utf8), createdAt)
                    try txn.put(meta, Array("store_id".utf8), storeID)
                }
            }
            try StoreFixture.withStore(at: path) { store in
                _ = try StoreFixture.submit(store, "job-1")
                try StoreFixture.expectSound(store)
            }
            let environment = try Environment.open(path: path)
            #expect(try environment.openDatabase(named: lacking, create: false) != nil, "\(lacking) was not created")
            let meta = try #require(try environment.openDatabase(named: "meta", create: false))
            let (storedID, storedCreation) = try environment.read { txn in
                (try txn.get(meta, Array("store_id".utf8)), try txn.get(meta, Array("created_at".utf8)))
            }
            #expect(storedID == storeID, "the store's id changed")
            #expect(storedCreation == createdAt, "the store's creation time changed")
        }
    }

    @Test("an empty LMDB environment becomes a store on a read-write open")
    func emptyEnvironmentAdopted() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.path
            do { _ = try Environment.open(path: path) }
            #expect(FileManager.default.fileExists(atPath: path + "/data.mdb"))
            let readOnly = try #require(throws: StoreError.self) { _ = try JobStore.open(at: path, mode: .readOnly) }
            #expect(readOnly.category == .notFound)
            try StoreFixture.withStore(at: path) { store in
                _ = try StoreFixture.submit(store, "job-1")
                try StoreFixture.expectSound(store)
            }
            #expect(try Self.storedSchemaVersion(path) == Self.bigEndian(JobStore.schemaVersion))
        }
    }
}
