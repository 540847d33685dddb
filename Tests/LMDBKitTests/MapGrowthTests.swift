import IngestTestSupport
import Testing
@testable import LMDBKit

@Suite("Map growth")
struct MapGrowthTests {
    static let mebibyte = 1 << 20

    /// Writes `count` values of 64 KiB, 3 MiB for the default count: more than a 1 MiB map.
    static func writeLargeBatch(_ txn: WriteTransaction, _ database: Database, count: Int = 48, fill: UInt8 = 0xAB) throws {
        let value = [UInt8](repeating: fill, count: 64 << 10)
        for index in 0..<count {
            try txn.put(database, bytes("big/") + bigEndian(UInt64(index)), value)
        }
    }

    @Test("a transaction larger than the map grows it up to maxMapSize and succeeds")
    func growsOnMapFull() throws {
        try withTemporaryDirectory { directory throws in
            let options = EnvironmentOptions(mapSize: Self.mebibyte, maxMapSize: 16 * Self.mebibyte)
            let (environment, items) = try openWithDatabase(directory.path, options: options)
            #expect(environment.mapSize == Self.mebibyte)
            try environment.write { txn in try txn.put(items, bytes("small"), bytes("before")) }

            var runs = 0
            try environment.write { txn throws in
                runs += 1
                try Self.writeLargeBatch(txn, items)
            }
            #expect(runs > 1, "the closure runs again after the map grows")
            #expect(environment.mapSize > Self.mebibyte)
            #expect(environment.mapSize >= 3 * Self.mebibyte)
            #expect(environment.mapSize <= 16 * Self.mebibyte)
            #expect(environment.statistics().mapSize == environment.mapSize)
            try environment.read { txn throws in
                #expect(try txn.count(items) == 49)
                #expect(try txn.get(items, bytes("small")) == bytes("before"))
                let last = try txn.get(items, bytes("big/") + bigEndian(47))
                #expect(last == [UInt8](repeating: 0xAB, count: 64 << 10))
            }
        }
    }

    @Test("growth also happens when the closure swallows the mapFull error itself")
    func growsEvenWhenClosureCatches() throws {
        try withTemporaryDirectory { directory throws in
            let options = EnvironmentOptions(mapSize: Self.mebibyte, maxMapSize: 16 * Self.mebibyte)
            let (environment, items) = try openWithDatabase(directory.path, options: options)
            var swallowed = 0
            try environment.write { txn throws in
                do {
                    try Self.writeLargeBatch(txn, items)
                } catch LMDBError.mapFull {
                    swallowed += 1
                }
            }
            #expect(swallowed >= 1)
            #expect(environment.mapSize > Self.mebibyte)
            #expect(try environment.read { try $0.count(items) } == 48)
        }
    }

    @Test("with maxMapSize equal to mapSize the write throws mapFull and committed data is intact")
    func mapFullAtMaximum() throws {
        try withTemporaryDirectory { directory throws in
            let options = EnvironmentOptions(mapSize: Self.mebibyte, maxMapSize: Self.mebibyte)
            let (environment, items) = try openWithDatabase(directory.path, options: options)
            try environment.write { txn throws in
                for index in 0..<20 { try txn.put(items, bytes("kept/\(index)"), bytes("value \(index)")) }
            }

            #expect(throws: LMDBError.mapFull) {
                try environment.write { txn in try Self.writeLargeBatch(txn, items) }
            }
            // The same, caught with the `~=` pattern, and with the error's properties.
            do {
                try environment.write { txn in try Self.writeLargeBatch(txn, items) }
                Issue.record("the write should have thrown mapFull")
            } catch LMDBError.mapFull {
                // expected
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(environment.mapSize == Self.mebibyte)
            try environment.read { txn throws in
                #expect(try txn.count(items) == 20)
                for index in 0..<20 {
                    #expect(try txn.get(items, bytes("kept/\(index)")) == bytes("value \(index)"))
                }
                #expect(try txn.get(items, bytes("big/") + bigEndian(0)) == nil)
            }
            // The environment is still usable for writes that fit.
            try environment.write { txn in try txn.put(items, bytes("after"), bytes("ok")) }
            #expect(try environment.read { try $0.get(items, bytes("after")) } == bytes("ok"))
        }
    }

    @Test("a map that grew is big enough after reopening")
    func reopenAfterGrowth() throws {
        try withTemporaryDirectory { directory throws in
            let options = EnvironmentOptions(mapSize: Self.mebibyte, maxMapSize: 16 * Self.mebibyte)
            do {
                let (environment, items) = try openWithDatabase(directory.path, options: options)
                try environment.write { txn in try Self.writeLargeBatch(txn, items) }
            }
            let (environment, items) = try openWithDatabase(directory.path, options: options)
            #expect(environment.mapSize > Self.mebibyte, "the data no longer fits the initial map size")
            try environment.read { txn throws in
                #expect(try txn.count(items) == 48)
                #expect(try txn.get(items, bytes("big/") + bigEndian(0)) == [UInt8](repeating: 0xAB, count: 64 << 10))
            }
            try environment.write { txn in try Self.writeLargeBatch(txn, items, count: 96, fill: 0xCD) }
            #expect(try environment.read { try $0.count(items) } == 96)
        }
    }

    @Test("several threads writing more than the map holds all succeed")
    func concurrentGrowth() throws {
        try withTemporaryDirectory { directory throws in
            let options = EnvironmentOptions(mapSize: Self.mebibyte, maxMapSize: 64 * Self.mebibyte)
            let (environment, items) = try openWithDatabase(directory.path, options: options)
            let value = [UInt8](repeating: 0x5A, count: 32 << 10)
            let errors = runOnThreads(4) { thread in
                for batch in 0..<8 {
                    try environment.write { txn throws in
                        for index in 0..<8 {
                            try txn.put(items, bytes("t\(thread)/b\(batch)/i\(index)"), value)
                        }
                    }
                    // Readers alongside the writers, while the map may be growing.
                    _ = try environment.read { txn in try txn.count(items) }
                }
            }
            #expect(errors.isEmpty, "\(errors)")
            #expect(try environment.read { try $0.count(items) } == 4 * 8 * 8)
            #expect(environment.mapSize > Self.mebibyte)
        }
    }
}
