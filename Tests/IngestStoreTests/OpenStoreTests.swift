import Foundation
import IngestCore
import IngestTestSupport
import Testing

@testable import IngestStore

@Suite("Opening a store")
struct OpenStoreTests {
    /// The names in `path`, sorted; empty when it cannot be listed.
    static func listing(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    @Test("read-write open creates the directory and the store files")
    func createsStore() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("nested/deeper/store")
            try StoreFixture.withStore(at: path) { store in
                #expect(store.path == path)
                #expect(store.mode == .readWrite)
                #expect(try store.jobs().isEmpty)
                #expect(try store.countsByStatus().values.allSatisfy { $0 == 0 })
                try StoreFixture.expectSound(store)
            }
            #expect(Self.listing(path) == ["data.mdb", "lock.mdb"])
        }
    }

    @Test("read-only open of a missing directory is not found and creates nothing")
    func readOnlyMissing() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("absent/store")
            let error = try #require(throws: StoreError.self) { _ = try JobStore.open(at: path, mode: .readOnly) }
            #expect(error.category == .notFound)
            #expect(error.description.contains(path))
            #expect(!FileManager.default.fileExists(atPath: directory.appending("absent")))
            #expect(Self.listing(directory.path) == [])
        }
    }

    @Test("read-only open of an empty directory is not found and creates nothing")
    func readOnlyEmptyDirectory() throws {
        try StoreFixture.withDirectory { directory in
            let error = try #require(throws: StoreError.self) { _ = try JobStore.open(at: directory.path, mode: .readOnly) }
            #expect(error.category == .notFound)
            #expect(Self.listing(directory.path) == [])
        }
    }

    @Test("createIfMissing: false on a missing directory is not found and creates nothing")
    func noCreateMissing() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let error = try #require(throws: StoreError.self) {
                _ = try JobStore.open(at: path, mode: .readWrite, createIfMissing: false)
            }
            #expect(error.category == .notFound)
            #expect(!FileManager.default.fileExists(atPath: path))
            // Nor in an existing but empty directory.
            let empty = try #require(throws: StoreError.self) {
                _ = try JobStore.open(at: directory.path, mode: .readWrite, createIfMissing: false)
            }
            #expect(empty.category == .notFound)
            #expect(Self.listing(directory.path) == [])
        }
    }

    @Test("createIfMissing: false opens an existing store")
    func noCreateExisting() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in try StoreFixture.submit(store, "job-1") }
            let store = try JobStore.open(at: path, createIfMissing: false)
            #expect(try store.job(id)?.status == .pending)
            try store.startPhase(id, "load")
            #expect(try store.job(id)?.status == .running)
        }
    }

    @Test("a path that is a regular file cannot be a store", arguments: [
        (JobStore.AccessMode.readWrite, true), (.readWrite, false), (.readOnly, true),
    ])
    func regularFile(_ mode: JobStore.AccessMode, _ createIfMissing: Bool) throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("not-a-directory")
            let content = Data("plain text\n".utf8)
            #expect(FileManager.default.createFile(atPath: path, contents: content))
            let error = try #require(throws: StoreError.self) {
                _ = try JobStore.open(at: path, mode: mode, createIfMissing: createIfMissing)
            }
            #expect(error.category == .cannotCreate)
            #expect(error.description.contains("not a directory"), "unclear message: \(error)")
            #expect(FileManager.default.contents(atPath: path) == content, "the file was changed")
            #expect(Self.listing(directory.path) == ["not-a-directory"])
        }
    }

    @Test("read-only open of an existing store reads everything")
    func readOnlyReads() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let (first, second) = try StoreFixture.withStore(at: path) { store in
                let first = try StoreFixture.submit(store, "job-1")
                let second = try StoreFixture.submit(store, "job-2")
                try store.startPhase(second, "load")
                try store.recordProgress(second, "load", processed: 1, total: 4)
                return (first, second)
            }
            let bytes = try StoreFixture.dataFile(path)
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in
                #expect(store.mode == .readOnly)
                #expect(try store.job(first)?.status == .pending)
                #expect(try store.job(second)?.status == .running)
                #expect(try store.job(second)?.progress == 0.0625)
                #expect(try store.jobs(status: .running).map(\.id) == [second])
                #expect(try store.countsByStatus()[.pending] == 1)
                #expect(StoreFixture.events(try store.journal(second)).count == 2)
                try StoreFixture.expectSound(store)
            }
            #expect(try StoreFixture.dataFile(path) == bytes, "a read-only session changed data.mdb")
        }
    }

    /// Every write of the service API, on a read-only store.
    enum Write: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case submit, submitExisting, start, pause, recordProgress, hold, release, retry, batch
        var testDescription: String { rawValue }
    }

    @Test("every write through a read-only store throws and changes nothing", arguments: Write.allCases)
    func readOnlyRefusesWrites(_ write: Write) throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let id = try StoreFixture.withStore(at: path) { store in
                let id = try StoreFixture.submit(store, "job-1")
                try store.startPhase(id, "load")
                return id
            }
            try StoreFixture.withStore(at: path, mode: .readOnly) { store in
                let error = try StoreFixture.expectRefusedUnchanged(store, id) {
                    switch write {
                    case .submit: _ = try store.submit(source: "/new")
                    case .submitExisting: _ = try store.submit(id: id, source: "/data/job-1")
                    case .start: try store.startPhase(id, "chunk")
                    case .pause: try store.pausePhase(id, "load", reason: .user)
                    case .recordProgress: try store.recordProgress(id, "load", processed: 1)
                    case .hold: try store.hold(id)
                    case .release: try store.release(id)
                    case .retry: try store.retryFailedPhases(id)
                    case .batch: try store.write { _ in }
                    }
                }
                #expect(error.category == .cannotCreate)
                #expect(error.description.contains("read-only"), "unclear message: \(error)")
                #expect(try store.jobs().map(\.id) == [id])
            }
        }
    }

    @Test("one store per path per process: a second open shares the environment")
    func secondOpenShares() throws {
        try StoreFixture.withDirectory { directory in
            let path = directory.appending("store")
            let first = try JobStore.open(at: path)
            let second = try JobStore.open(at: path)
            #expect(first.environment === second.environment)
            let id = try StoreFixture.submit(first, "job-1")
            #expect(try second.job(id)?.status == .pending)
            try second.startPhase(id, "load")
            #expect(try first.job(id)?.status == .running)
        }
    }
}
