import Foundation
import IngestTestSupport
import Testing
@testable import LMDBKit

@Suite("Appending puts")
struct AppendTests {
    /// Pages in use after writing `count` kilobyte values under ascending keys, one
    /// transaction each (as group commits write them).
    static func pagesUsed(appending: Bool, count: Int, in directory: TemporaryDirectory, name: String) throws -> Int {
        let path = directory.appending(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let (environment, items) = try openWithDatabase(path, options: EnvironmentOptions(durability: .noSync))
        let value = [UInt8](repeating: 7, count: 1052)
        for start in stride(from: 0, to: count, by: 10) {
            try environment.write { txn throws in
                for number in start..<min(start + 10, count) {
                    if appending {
                        try txn.putAppending(items, bigEndian(UInt64(number)), value)
                    } else {
                        try txn.put(items, bigEndian(UInt64(number)), value)
                    }
                }
            }
        }
        #expect(try environment.read { txn throws in try txn.count(items) } == count)
        return environment.statistics().lastPage
    }

    /// Every entry of `database`, keys and values as text.
    static func contents(_ database: Database, in environment: Environment) throws -> [String: String] {
        var found: [String: String] = [:]
        try environment.read { txn throws in
            try txn.scan(database) { key, value in
                found[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
                return true
            }
        }
        return found
    }

    @Test("ascending kilobyte values fill their pages: about two thirds of the pages plain puts use")
    func fillsPages() throws {
        try withTemporaryDirectory { directory throws in
            let plain = try Self.pagesUsed(appending: false, count: 600, in: directory, name: "plain")
            let appended = try Self.pagesUsed(appending: true, count: 600, in: directory, name: "appended")
            // Three such entries fit a 4 KiB page; plain puts split a full page in half.
            #expect(appended < plain * 3 / 4, "appended \(appended) pages, plain \(plain)")
        }
    }

    @Test("a key that does not sort last is put in its place, and an existing one replaced")
    func fallsBackToPut() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            try environment.write { txn throws in
                try txn.putAppending(items, bytes("b"), bytes("2"))
                try txn.putAppending(items, bytes("c"), bytes("3"))
                try txn.putAppending(items, bytes("a"), bytes("1"))
                try txn.putAppending(items, bytes("c"), bytes("three"))
                try txn.putAppending(items, bytes("b"), bytes("two"))
            }
            #expect(try Self.contents(items, in: environment) == ["a": "1", "b": "two", "c": "three"])
        }
    }

    @Test("an insert keeps what is there and says so, in order or not")
    func insertKeepsExisting() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path)
            let results = try environment.write { txn throws in
                [
                    try txn.insertAppending(items, bytes("b"), bytes("2")),
                    try txn.insertAppending(items, bytes("c"), bytes("3")),
                    try txn.insertAppending(items, bytes("a"), bytes("1")),
                    try txn.insertAppending(items, bytes("c"), bytes("three")),
                    try txn.insertAppending(items, bytes("b"), bytes("two")),
                    try txn.insertAppending(items, bytes("d"), bytes("4")),
                ]
            }
            #expect(results == [true, true, true, false, false, true])
            #expect(try Self.contents(items, in: environment) == ["a": "1", "b": "2", "c": "3", "d": "4"])
        }
    }
}
