import Foundation
import IngestTestSupport
import Testing
@testable import LMDBKit

@Suite("One environment per directory per process")
struct RegistryTests {
    @Test("opening the same directory again returns the identical instance")
    func samePathSameInstance() throws {
        try withTemporaryDirectory { directory throws in
            let first = try Environment.open(path: directory.path)
            let second = try Environment.open(path: directory.path)
            #expect(first === second)
        }
    }

    @Test("different spellings of the same directory return the identical instance")
    func differentSpellings() throws {
        try withTemporaryDirectory { directory throws in
            let store = directory.appending("store")
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: false)
            let link = directory.appending("link")
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: store)

            let environment = try Environment.open(path: store)
            #expect(try Environment.open(path: store + "/.") === environment)
            #expect(try Environment.open(path: store + "/") === environment)
            #expect(try Environment.open(path: directory.path + "/./store/../store") === environment)
            #expect(try Environment.open(path: link) === environment)
            #expect(try Environment.open(path: link + "/.") === environment)

            // Data written through one spelling is visible through the other (one instance).
            let items = try #require(try environment.openDatabase(named: "items", create: true))
            try environment.write { txn in try txn.put(items, bytes("k"), bytes("v")) }
            let viaLink = try Environment.open(path: link)
            #expect(try viaLink.read { try $0.get(items, bytes("k")) } == bytes("v"))
        }
    }

    @Test("different directories get different instances")
    func differentDirectories() throws {
        try withTemporaryDirectory { first throws in
            try withTemporaryDirectory { second throws in
                let one = try Environment.open(path: first.path)
                let two = try Environment.open(path: second.path)
                #expect(one !== two)
            }
        }
    }

    @Test("after all references go the environment closes and a new open works")
    func reopenAfterRelease() throws {
        try withTemporaryDirectory { directory throws in
            weak var released: Environment?
            do {
                let (environment, items) = try openWithDatabase(directory.path)
                released = environment
                try environment.write { txn in try txn.put(items, bytes("k"), bytes("first")) }
                #expect(try Environment.open(path: directory.path + "/.") === environment)
            }
            #expect(released == nil)

            let reopened = try Environment.open(path: directory.path)
            let items = try #require(try reopened.openDatabase(named: "items", create: false))
            #expect(try reopened.read { try $0.get(items, bytes("k")) } == bytes("first"))
            try reopened.write { txn in try txn.put(items, bytes("k"), bytes("second")) }
            #expect(try reopened.read { try $0.get(items, bytes("k")) } == bytes("second"))
        }
    }

    @Test("many open/close cycles in a row keep working")
    func repeatedCycles() throws {
        try withTemporaryDirectory { directory throws in
            for round in 0..<20 {
                weak var released: Environment?
                do {
                    let (environment, items) = try openWithDatabase(directory.path)
                    released = environment
                    let previous = try environment.read { try $0.get(items, bytes("round")) }
                    #expect(previous == (round == 0 ? nil : bigEndian(UInt64(round - 1))))
                    try environment.write { txn in try txn.put(items, bytes("round"), bigEndian(UInt64(round))) }
                }
                #expect(released == nil)
            }
        }
    }

    @Test("concurrent opens of one directory from many threads all get the same instance")
    func concurrentOpens() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.path
            let identities = Locked<Set<ObjectIdentifier>>([])
            let keepAlive = Locked<[Environment]>([])
            let errors = runOnThreads(8) { _ in
                for _ in 0..<50 {
                    let environment = try Environment.open(path: path)
                    identities.withLock { _ = $0.insert(ObjectIdentifier(environment)) }
                    keepAlive.withLock { if $0.isEmpty { $0.append(environment) } }
                }
            }
            #expect(errors.isEmpty, "\(errors)")
            #expect(identities.value.count == 1)
        }
    }

    @Test("opens and releases racing on many threads never open the files twice")
    func concurrentOpenAndRelease() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.path
            do {
                let (environment, items) = try openWithDatabase(path)
                try environment.write { txn in try txn.put(items, bigEndian(0), bigEndian(0)) }
            }
            // LMDB forbids concurrent mdb_dbi_open calls, so handles are opened under a lock.
            let openLock = Locked(())
            let errors = runOnThreads(4) { _ in
                for _ in 0..<50 {
                    // Each iteration may open fresh or reuse; the last release closes it.
                    let environment = try Environment.open(path: path)
                    let items = try openLock.withLockThrowing { _ in
                        try unwrap(try environment.openDatabase(named: "items", create: false), "items")
                    }
                    try environment.write { txn throws in
                        let current = decodeBigEndian(try unwrap(try txn.get(items, bigEndian(0)), "counter"))
                        try txn.put(items, bigEndian(0), bigEndian(current + 1))
                    }
                }
            }
            #expect(errors.isEmpty, "\(errors)")
            let (environment, items) = try openWithDatabase(path)
            let total = try environment.read { try $0.get(items, bigEndian(0)) }.map(decodeBigEndian)
            #expect(total == 200)
        }
    }

    @Test("a read-only open of a directory already open read-write returns the same instance")
    func readOnlyReusesReadWrite() throws {
        try withTemporaryDirectory { directory throws in
            let (readWrite, items) = try openWithDatabase(directory.path)
            try readWrite.write { txn in try txn.put(items, bytes("k"), bytes("v")) }
            let readOnly = try Environment.open(path: directory.path, options: .init(readOnly: true))
            #expect(readOnly === readWrite)
            #expect(readOnly.options.readOnly == false, "the instance keeps the options it was opened with")
            #expect(try readOnly.read { try $0.get(items, bytes("k")) } == bytes("v"))
        }
    }

    @Test("a read-write open of a directory already open read-only throws")
    func readWriteAfterReadOnlyThrows() throws {
        try withTemporaryDirectory { directory throws in
            do {
                let (environment, items) = try openWithDatabase(directory.path)
                try environment.write { txn in try txn.put(items, bytes("k"), bytes("v")) }
            }
            let readOnly = try Environment.open(path: directory.path, options: .init(readOnly: true))
            #expect(readOnly.options.readOnly)
            let items = try #require(try readOnly.openDatabase(named: "items", create: false))
            #expect(try readOnly.read { try $0.get(items, bytes("k")) } == bytes("v"))
            // openDatabase with create on a read-only environment only looks the database up.
            #expect(try readOnly.openDatabase(named: "absent", create: true) == nil)

            let error = #expect(throws: EnvironmentError.self) {
                try Environment.open(path: directory.path)
            }
            #expect(error?.path == directory.path)
            #expect(error?.isMissing == false)
            #expect(error?.meansDamagedFile == false)
            #expect(error?.description.contains("read-only") == true)
            // A second read-only open still shares the instance.
            #expect(try Environment.open(path: directory.path, options: .init(readOnly: true)) === readOnly)
        }
    }

    @Test("after the read-only instance goes, a read-write open works")
    func readWriteAfterReadOnlyReleased() throws {
        try withTemporaryDirectory { directory throws in
            _ = try openWithDatabase(directory.path)
            weak var released: Environment?
            do {
                let readOnly = try Environment.open(path: directory.path, options: .init(readOnly: true))
                released = readOnly
            }
            #expect(released == nil)
            let (environment, items) = try openWithDatabase(directory.path)
            #expect(environment.options.readOnly == false)
            try environment.write { txn in try txn.put(items, bytes("k"), bytes("v")) }
        }
    }
}
