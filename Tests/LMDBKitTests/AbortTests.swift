import IngestTestSupport
import Testing
@testable import LMDBKit

/// An error of the test's own, to check that `write` rethrows exactly what the closure threw.
struct ClosureFailure: Error, Equatable {
    let tag: Int
}

@Suite("Abort on throw")
struct AbortTests {
    @Test("a write closure that throws leaves nothing written and rethrows the same error")
    func throwingClosureAborts() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            try environment.write { txn in try txn.put(items, bytes("existing"), bytes("before")) }

            var runs = 0
            #expect(throws: ClosureFailure(tag: 42)) {
                try environment.write { txn throws in
                    runs += 1
                    try txn.put(items, bytes("new"), bytes("x"))
                    try txn.put(items, bytes("existing"), bytes("after"))
                    _ = try txn.delete(items, bytes("existing"))
                    try txn.put(items, bytes("existing"), bytes("after again"))
                    throw ClosureFailure(tag: 42)
                }
            }
            #expect(runs == 1, "a closure error must not cause a retry")
            try environment.read { txn throws in
                #expect(try txn.get(items, bytes("new")) == nil)
                #expect(try txn.get(items, bytes("existing")) == bytes("before"))
                #expect(try txn.count(items) == 1)
            }
        }
    }

    @Test("a database created in an aborted transaction does not exist afterwards")
    func createdDatabaseIsRolledBack() throws {
        try withTemporaryDirectory { directory throws in
            let environment = try Environment.open(path: directory.path)
            #expect(throws: ClosureFailure(tag: 1)) {
                try environment.write { txn throws in
                    let scratch = try #require(try txn.openDatabase(named: "scratch", create: true))
                    try txn.put(scratch, bytes("k"), bytes("v"))
                    throw ClosureFailure(tag: 1)
                }
            }
            #expect(try environment.openDatabase(named: "scratch", create: false) == nil)
            #expect(try environment.read { try $0.mainDatabaseEntryCount() } == 0)
        }
    }

    @Test("an LMDB error thrown inside the closure is rethrown unchanged and the environment stays usable")
    func lmdbErrorRethrown() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            do {
                try environment.write { txn throws in
                    try txn.put(items, bytes("a"), bytes("1"))
                    throw LMDBError.keyExists
                }
                Issue.record("write should have thrown")
            } catch LMDBError.keyExists {
                // expected
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(try environment.read { try $0.get(items, bytes("a")) } == nil)
            try environment.write { txn in try txn.put(items, bytes("b"), bytes("2")) }
            #expect(try environment.read { try $0.get(items, bytes("b")) } == bytes("2"))
        }
    }

    @Test("a read closure's error is rethrown and the reader slot is released")
    func readClosureThrows() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, _) = try openWithDatabase(directory.path)
            for tag in 0..<300 {
                // More iterations than maxReaders: a leaked reader slot would end in readersFull.
                #expect(throws: ClosureFailure(tag: tag)) {
                    try environment.read { _ in throw ClosureFailure(tag: tag) }
                }
            }
            #expect(try environment.read { _ in 7 } == 7)
        }
    }
}
