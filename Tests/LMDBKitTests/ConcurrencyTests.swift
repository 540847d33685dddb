import Foundation
import IngestTestSupport
import Testing
@testable import LMDBKit

@Suite("Concurrent transactions")
struct ConcurrencyTests {
    static let incrementsPerThread = 200

    /// Adds one to the big-endian counter under `key`.
    static func increment(_ environment: Environment, _ database: Database, _ key: [UInt8]) throws {
        try environment.write { txn throws in
            let current = try txn.get(database, key).map(decodeBigEndian) ?? 0
            try txn.put(database, key, bigEndian(current + 1))
        }
    }

    @Test("increments from several threads are never lost", arguments: [2, 4, 8])
    func counterOnThreads(threads: Int) throws {
        try withTemporaryDirectory { directory throws in
            let (environment, counters) = try openWithDatabase(directory.path, options: .init(durability: .noMetaSync))
            let key = bytes("counter")
            let errors = runOnThreads(threads) { _ in
                for _ in 0..<Self.incrementsPerThread { try Self.increment(environment, counters, key) }
            }
            #expect(errors.isEmpty, "\(errors)")
            let total = try environment.read { try $0.get(counters, key) }.map(decodeBigEndian)
            #expect(total == UInt64(threads * Self.incrementsPerThread))
        }
    }

    @Test("increments from DispatchQueue.concurrentPerform are never lost")
    func counterWithConcurrentPerform() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, counters) = try openWithDatabase(directory.path, options: .init(durability: .noMetaSync))
            let key = bytes("counter")
            let workers = 4
            let errors = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                do {
                    for _ in 0..<Self.incrementsPerThread { try Self.increment(environment, counters, key) }
                } catch {
                    errors.withLock { $0.append("worker \(worker): \(error)") }
                }
            }
            #expect(errors.value.isEmpty, "\(errors.value)")
            let total = try environment.read { try $0.get(counters, key) }.map(decodeBigEndian)
            #expect(total == UInt64(workers * Self.incrementsPerThread))
        }
    }

    @Test("readers running beside writers see only committed, increasing values")
    func readersBesideWriters() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, counters) = try openWithDatabase(directory.path, options: .init(durability: .noMetaSync))
            let writers = 2
            let total = UInt64(writers * Self.incrementsPerThread)
            try environment.write { txn throws in
                try txn.put(counters, bytes("a"), bigEndian(0))
                try txn.put(counters, bytes("b"), bigEndian(0))
            }
            let errors = runOnThreads(writers + 2) { index in
                if index < writers {
                    // Each transaction moves both keys together.
                    for _ in 0..<Self.incrementsPerThread {
                        try environment.write { txn throws in
                            let a = decodeBigEndian(try unwrap(try txn.get(counters, bytes("a")), "a"))
                            try txn.put(counters, bytes("a"), bigEndian(a + 1))
                            try txn.put(counters, bytes("b"), bigEndian(a + 1))
                        }
                    }
                } else {
                    var last: UInt64 = 0
                    while last < total {
                        let (a, b) = try environment.read { txn throws in
                            (decodeBigEndian(try unwrap(try txn.get(counters, bytes("a")), "a")),
                             decodeBigEndian(try unwrap(try txn.get(counters, bytes("b")), "b")))
                        }
                        guard a == b else { throw Unexpected(description: "torn read: a=\(a) b=\(b)") }
                        guard a >= last else { throw Unexpected(description: "went backwards: \(last) -> \(a)") }
                        last = a
                    }
                }
            }
            #expect(errors.isEmpty, "\(errors)")
            #expect(try environment.read { try $0.get(counters, bytes("a")) } == bigEndian(total))
        }
    }
}

extension ConcurrencyTests {
    /// Known bug: `Environment.openDatabase` (and `ReadTransaction.openDatabase`) call
    /// `mdb_dbi_open` from concurrent transactions, which LMDB forbids: two threads that
    /// open different names at once can be handed the same slot, and one of them then reads
    /// (or writes) the other's database.
    @Test("database handles opened on several threads at once name the right databases")
    func concurrentOpenDatabase() throws {
        try withTemporaryDirectory { directory throws in
            let names = (0..<24).map { "db\($0)" }
            let options = EnvironmentOptions(maxDatabases: 64)
            do {
                let environment = try Environment.open(path: directory.path, options: options)
                for name in names {
                    let database = try #require(try environment.openDatabase(named: name, create: true))
                    try environment.write { txn throws in try txn.put(database, bytes("name"), bytes(name)) }
                }
            }
            let threads = 4
            var wrongHandles = 0
            for _ in 0..<100 {
                // A fresh environment each round, so every name is opened for the first time.
                let environment = try Environment.open(path: directory.path, options: options)
                let wrong = Locked(0)
                let errors = runOnThreads(threads) { thread in
                    for index in stride(from: thread, to: names.count, by: threads) {
                        let database = try unwrap(try environment.openDatabase(named: names[index], create: false), names[index])
                        let stored = try environment.read { txn throws in try txn.get(database, bytes("name")) }
                        if stored != bytes(names[index]) { wrong.withLock { $0 += 1 } }
                    }
                }
                #expect(errors.isEmpty, "\(errors)")
                wrongHandles += wrong.value
            }
            #expect(wrongHandles == 0, "handles that named another database")
        }
    }
}

@Suite("Main database and statistics")
struct MainDatabaseTests {
    @Test("mainDatabaseEntryCount is 0 for a fresh environment and counts each named database once")
    func mainDatabaseEntryCount() throws {
        try withTemporaryDirectory { directory throws in
            let environment = try Environment.open(path: directory.path)
            #expect(try environment.read { try $0.mainDatabaseEntryCount() } == 0)
            _ = try environment.openDatabase(named: "alpha", create: true)
            #expect(try environment.read { try $0.mainDatabaseEntryCount() } == 1)
            _ = try environment.openDatabase(named: "beta", create: true)
            _ = try environment.openDatabase(named: "alpha", create: true)
            #expect(try environment.read { try $0.mainDatabaseEntryCount() } == 2)
            #expect(try environment.write { try $0.mainDatabaseEntryCount() } == 2)
            // Looking a database up does not create it.
            _ = try environment.openDatabase(named: "gamma", create: false)
            #expect(try environment.read { try $0.mainDatabaseEntryCount() } == 2)
        }
        try withTemporaryDirectory { directory throws in
            do {
                let environment = try Environment.open(path: directory.path)
                _ = try environment.openDatabase(named: "one", create: true)
            }
            let reopened = try Environment.open(path: directory.path, options: .init(readOnly: true))
            #expect(try reopened.read { try $0.mainDatabaseEntryCount() } == 1)
        }
    }

    @Test("statistics report the page size, map size and reader slots")
    func statistics() throws {
        try withTemporaryDirectory { directory throws in
            let options = EnvironmentOptions(mapSize: 2 << 20, maxReaders: 50)
            let (environment, items) = try openWithDatabase(directory.path, options: options)
            let before = environment.statistics()
            #expect(before.pageSize >= 512)
            #expect(before.pageSize & (before.pageSize - 1) == 0, "a power of two")
            #expect(before.mapSize == 2 << 20)
            #expect(before.maxReaders == 50)
            try environment.write { txn throws in
                for index in 0..<200 as Range<UInt64> { try txn.put(items, bigEndian(index), [UInt8](repeating: 3, count: 100)) }
            }
            let after = environment.statistics()
            #expect(after.lastPage > before.lastPage)
            #expect(try environment.clearStaleReaders() == 0)
            try environment.sync()
        }
    }

    @Test("options keep maxMapSize at least mapSize")
    func optionsClampMaximum() {
        let options = EnvironmentOptions(mapSize: 8 << 20, maxMapSize: 1 << 20)
        #expect(options.maxMapSize == 8 << 20)
        #expect(EnvironmentOptions().durability == .full)
        #expect(EnvironmentOptions().readOnly == false)
    }
}
