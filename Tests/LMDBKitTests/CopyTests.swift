import Foundation
import IngestTestSupport
import Testing
@testable import LMDBKit

@Suite("Compacted copies")
struct CopyTests {
    @Test("copyCompacted(to:) into an empty directory gives a store with the same data")
    func copyHoldsSameData() throws {
        try withTemporaryDirectory { source throws in
            try withTemporaryDirectory { target throws in
                let (environment, items) = try openWithDatabase(source.path)
                let other = try #require(try environment.openDatabase(named: "other", create: true))
                try environment.write { txn throws in
                    for index in 0..<1000 as Range<UInt64> {
                        try txn.put(items, bigEndian(index), bytes("value \(index)"))
                    }
                    try txn.put(other, bytes("k"), bytes("v"))
                }
                // Free some pages, which a compacted copy leaves out.
                try environment.write { txn throws in
                    for index in 0..<500 as Range<UInt64> { _ = try txn.delete(items, bigEndian(index * 2)) }
                }
                let original = try allEntries(environment, items)

                try environment.copyCompacted(to: target.path)
                #expect(directoryListing(target.path).contains("data.mdb"))

                let copy = try Environment.open(path: target.path)
                #expect(copy !== environment)
                let copiedItems = try #require(try copy.openDatabase(named: "items", create: false))
                let copiedOther = try #require(try copy.openDatabase(named: "other", create: false))
                let copied = try allEntries(copy, copiedItems)
                #expect(copied.count == 500)
                #expect(copied.map(\.0) == original.map(\.0))
                #expect(copied.map(\.1) == original.map(\.1))
                #expect(try copy.read { try $0.get(copiedOther, bytes("k")) } == bytes("v"))
                #expect(try copy.read { try $0.mainDatabaseEntryCount() } == 2)

                // The copy is an independent, writable store.
                try copy.write { txn in try txn.put(copiedItems, bytes("only in copy"), []) }
                #expect(try environment.read { try $0.get(items, bytes("only in copy")) } == nil)
            }
        }
    }

    @Test("a copy taken while another thread writes is one consistent snapshot")
    func copyWhileWriting() throws {
        try withTemporaryDirectory { source throws in
            try withTemporaryDirectory { target throws in
                let options = EnvironmentOptions(mapSize: 64 << 20)
                let (environment, items) = try openWithDatabase(source.path, options: options)
                let slots = 64
                let transactions: UInt64 = 200
                /// Every transaction writes its generation number into all slots, plus filler.
                @Sendable func writeGeneration(_ generation: UInt64) throws {
                    try environment.write { txn throws in
                        for slot in 0..<slots {
                            try txn.put(items, bytes("slot/") + bigEndian(UInt64(slot)), bigEndian(generation))
                        }
                        try txn.put(items, bytes("filler/") + bigEndian(generation), [UInt8](repeating: 1, count: 2000))
                        try txn.put(items, bytes("generation"), bigEndian(generation))
                    }
                }
                try writeGeneration(0)

                let started = DispatchSemaphore(value: 0)
                let finished = DispatchSemaphore(value: 0)
                let writerError = Locked<String?>(nil)
                Thread {
                    do {
                        for generation in 1...transactions {
                            try writeGeneration(generation)
                            if generation == 1 { started.signal() }
                        }
                    } catch {
                        writerError.withLock { $0 = "\(error)" }
                        started.signal()
                    }
                    finished.signal()
                }.start()

                started.wait()
                try environment.copyCompacted(to: target.path)
                finished.wait()
                #expect(writerError.value == nil)

                let copy = try Environment.open(path: target.path)
                let copiedItems = try #require(try copy.openDatabase(named: "items", create: false))
                let generation = try #require(try copy.read { try $0.get(copiedItems, bytes("generation")) }).map { $0 }
                let copiedGeneration = decodeBigEndian(generation)
                #expect(copiedGeneration >= 1 && copiedGeneration <= transactions)
                let slotValues = try allEntries(copy, copiedItems, prefix: bytes("slot/")).map { decodeBigEndian($0.1) }
                #expect(slotValues.count == slots)
                #expect(Set(slotValues) == [copiedGeneration], "every slot holds the same generation")
                let fillers = try allKeys(copy, copiedItems, prefix: bytes("filler/"))
                #expect(fillers.count == Int(copiedGeneration) + 1)

                // The source has all of them.
                #expect(try environment.read { try $0.get(items, bytes("generation")) } == bigEndian(transactions))
            }
        }
    }
}
