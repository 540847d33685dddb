import IngestTestSupport
import Testing
@testable import LMDBKit

@Suite("Put, get and delete")
struct RoundTripTests {
    @Test("put then get returns the value; overwrite replaces it")
    func putGet() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            try environment.write { txn throws in
                try txn.put(items, bytes("alpha"), bytes("one"))
                try txn.put(items, bytes("beta"), [0, 1, 2, 255])
                try txn.put(items, bytes("empty"), [])
            }
            try environment.read { txn throws in
                #expect(try txn.get(items, bytes("alpha")) == bytes("one"))
                #expect(try txn.get(items, bytes("beta")) == [0, 1, 2, 255])
                #expect(try txn.get(items, bytes("empty")) == [])
                #expect(try txn.contains(items, bytes("alpha")))
                #expect(try txn.count(items) == 3)
            }
            try environment.write { txn throws in
                try txn.put(items, bytes("alpha"), bytes("uno"))
                // A write transaction reads its own uncommitted writes.
                #expect(try txn.get(items, bytes("alpha")) == bytes("uno"))
            }
            #expect(try environment.read { try $0.get(items, bytes("alpha")) } == bytes("uno"))
            #expect(try environment.read { try $0.count(items) } == 3)
        }
    }

    @Test("a missing key reads as nil and deleting it returns false")
    func notFound() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            try environment.read { txn throws in
                #expect(try txn.get(items, bytes("nothing")) == nil)
                #expect(try txn.contains(items, bytes("nothing")) == false)
                let sawNil = try bytes("nothing").withUnsafeBytes { key in
                    try txn.withValue(in: items, forKey: key) { $0 == nil }
                }
                #expect(sawNil)
            }
            let deleted = try environment.write { txn in try txn.delete(items, bytes("nothing")) }
            #expect(deleted == false)
        }
    }

    @Test("delete removes the entry and returns true once")
    func deleteRoundTrip() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            try environment.write { txn throws in
                try txn.put(items, bytes("keep"), bytes("1"))
                try txn.put(items, bytes("drop"), bytes("2"))
            }
            let first = try environment.write { txn in try txn.delete(items, bytes("drop")) }
            let second = try environment.write { txn in try txn.delete(items, bytes("drop")) }
            #expect(first == true)
            #expect(second == false)
            try environment.read { txn throws in
                #expect(try txn.get(items, bytes("drop")) == nil)
                #expect(try txn.get(items, bytes("keep")) == bytes("1"))
                #expect(try txn.count(items) == 1)
            }
        }
    }

    @Test("withValue hands out the stored bytes")
    func withValueBuffer() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            let value = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try environment.write { txn in try txn.put(items, bytes("k"), value) }
            let (count, copied) = try environment.read { txn throws in
                try bytes("k").withUnsafeBytes { key in
                    try txn.withValue(in: items, forKey: key) { buffer in (buffer?.count, buffer.map { Array($0) }) }
                }
            }
            #expect(count == 1000)
            #expect(copied == value)
        }
    }

    @Test("named databases are separate key spaces")
    func namedDatabasesAreSeparate() throws {
        try withTemporaryDirectory { directory throws in
            let environment = try Environment.open(path: directory.path)
            let first = try #require(try environment.openDatabase(named: "first", create: true))
            let second = try #require(try environment.openDatabase(named: "second", create: true))
            #expect(first != second)
            #expect(first.name == "first")
            #expect(first.description == "first")
            try environment.write { txn throws in
                try txn.put(first, bytes("key"), bytes("in first"))
                try txn.put(second, bytes("key"), bytes("in second"))
                try txn.put(second, bytes("only"), bytes("second"))
            }
            try environment.read { txn throws in
                #expect(try txn.get(first, bytes("key")) == bytes("in first"))
                #expect(try txn.get(second, bytes("key")) == bytes("in second"))
                #expect(try txn.get(first, bytes("only")) == nil)
                #expect(try txn.count(first) == 1)
                #expect(try txn.count(second) == 2)
            }
            try environment.write { txn in try txn.clear(second) }
            try environment.read { txn throws in
                #expect(try txn.count(second) == 0)
                #expect(try txn.get(first, bytes("key")) == bytes("in first"))
            }
            // clear keeps the database itself.
            #expect(try environment.openDatabase(named: "second", create: false) != nil)
        }
    }

    @Test("opening a database that does not exist without create returns nil")
    func openMissingDatabase() throws {
        try withTemporaryDirectory { directory throws in
            let environment = try Environment.open(path: directory.path)
            #expect(try environment.openDatabase(named: "absent", create: false) == nil)
            #expect(try environment.read { try $0.openDatabase(named: "absent", create: false) } == nil)
            _ = try environment.openDatabase(named: "present", create: true)
            #expect(try environment.openDatabase(named: "present", create: false)?.name == "present")
        }
    }

    @Test("values survive closing and reopening the environment")
    func survivesReopen() throws {
        try withTemporaryDirectory { directory throws in
            weak var firstInstance: Environment?
            do {
                let (environment, items) = try openWithDatabase(directory.path)
                firstInstance = environment
                try environment.write { txn throws in
                    for index in 0..<100 {
                        try txn.put(items, bigEndian(UInt64(index)), bytes("value \(index)"))
                    }
                }
                try environment.write { txn in _ = try txn.delete(items, bigEndian(50)) }
            }
            #expect(firstInstance == nil, "the environment should close when its last reference goes")

            let reopened = try Environment.open(path: directory.path)
            let items = try #require(try reopened.openDatabase(named: "items", create: false))
            try reopened.read { txn throws in
                #expect(try txn.count(items) == 99)
                #expect(try txn.get(items, bigEndian(0)) == bytes("value 0"))
                #expect(try txn.get(items, bigEndian(99)) == bytes("value 99"))
                #expect(try txn.get(items, bigEndian(50)) == nil)
            }
        }
    }

    @Test("a read transaction sees a snapshot: a write committed meanwhile stays invisible to it")
    func snapshotIsolation() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            try environment.write { txn in try txn.put(items, bytes("k"), bytes("old")) }
            let (before, after) = try environment.read { txn throws in
                let before = try txn.get(items, bytes("k"))
                let errors = runOnThreads(1) { _ in
                    try environment.write { txn in try txn.put(items, bytes("k"), bytes("new")) }
                }
                #expect(errors.isEmpty, "\(errors)")
                return (before, try txn.get(items, bytes("k")))
            }
            #expect(before == bytes("old"))
            #expect(after == bytes("old"))
            #expect(try environment.read { try $0.get(items, bytes("k")) } == bytes("new"))
        }
    }

    @Test("keys that are empty or too long are rejected with badValueSize, and nothing is written")
    func badKeySizes() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            #expect(throws: LMDBError.badValueSize) {
                try environment.write { txn in try txn.put(items, [], bytes("v")) }
            }
            #expect(throws: LMDBError.badValueSize) {
                try environment.write { txn throws in
                    try txn.put(items, bytes("fine"), bytes("v"))
                    try txn.put(items, [UInt8](repeating: 1, count: 4096), bytes("v"))
                }
            }
            #expect(try environment.read { try $0.count(items) } == 0)
        }
    }
}
