import Foundation
import IngestTestSupport
import Testing
@testable import LMDBKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Errors opening an environment")
struct OpenErrorTests {
    @Test("a path that does not exist is reported as missing")
    func missingPath() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appending("does-not-exist")
            let error = #expect(throws: EnvironmentError.self) { try Environment.open(path: path) }
            #expect(error?.isMissing == true)
            #expect(error?.isNotADirectory == false)
            #expect(error?.meansDamagedFile == false)
            #expect(error?.path == path)
            #expect(error?.description.contains(path) == true)
            #expect(!FileManager.default.fileExists(atPath: path), "nothing is created")
        }
    }

    @Test("a path that is a regular file is reported as not a directory")
    func regularFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory.appending("plain-file")
            #expect(FileManager.default.createFile(atPath: path, contents: Data("hello".utf8)))
            let error = #expect(throws: EnvironmentError.self) { try Environment.open(path: path) }
            #expect(error?.isNotADirectory == true)
            #expect(error?.isMissing == false)
            #expect(error?.meansDamagedFile == false)
            #expect(error?.description.contains(path) == true)
            #expect(try fileContents(path) == Data("hello".utf8))
        }
    }

    @Test("a data.mdb of random bytes is reported as damaged and left unchanged")
    func garbageDataFile() throws {
        try withTemporaryDirectory { directory throws in
            let dataPath = directory.appending("data.mdb")
            var garbage = (0..<8192).map { _ in UInt8.random(in: 0...255) }
            garbage[0..<32] = ArraySlice(repeating: 0xEE, count: 32)  // never a valid page header
            let original = Data(garbage)
            try original.write(to: URL(fileURLWithPath: dataPath))

            let error = #expect(throws: EnvironmentError.self) { try Environment.open(path: directory.path) }
            #expect(error?.meansDamagedFile == true)
            #expect(error?.isMissing == false)
            #expect(error?.code == .invalid || error?.code == .versionMismatch)
            #expect(error?.description.isEmpty == false)
            #expect(try fileContents(dataPath) == original)

            let readOnlyError = #expect(throws: EnvironmentError.self) {
                try Environment.open(path: directory.path, options: .init(readOnly: true))
            }
            #expect(readOnlyError?.meansDamagedFile == true)
            #expect(try fileContents(dataPath) == original)
        }
    }

    @Test("a data.mdb truncated to half its size is reported as damaged and left unchanged")
    func truncatedDataFile() throws {
        try withTemporaryDirectory { directory throws in
            let dataPath = directory.appending("data.mdb")
            do {
                let (environment, items) = try openWithDatabase(directory.path)
                let value = [UInt8](repeating: 0x42, count: 16 << 10)
                try environment.write { txn throws in
                    for index in 0..<256 { try txn.put(items, bigEndian(UInt64(index)), value) }
                }
            }
            let complete = try fileContents(dataPath)
            #expect(complete.count > 4 << 20)
            #expect(truncate(dataPath, off_t(complete.count / 2)) == 0)
            let truncated = try fileContents(dataPath)
            #expect(truncated.count == complete.count / 2)

            let error = #expect(throws: EnvironmentError.self) { try Environment.open(path: directory.path) }
            #expect(error?.meansDamagedFile == true)
            #expect(error?.isMissing == false)
            #expect(error?.description.contains("truncated") == true)
            #expect(try fileContents(dataPath) == truncated, "a failed open must not write to the file")

            let readOnlyError = #expect(throws: EnvironmentError.self) {
                try Environment.open(path: directory.path, options: .init(readOnly: true))
            }
            #expect(readOnlyError?.meansDamagedFile == true)
            #expect(try fileContents(dataPath) == truncated)

            // The failed opens let go of the files: restoring them makes the store open again.
            try complete.write(to: URL(fileURLWithPath: dataPath))
            let environment = try Environment.open(path: directory.path)
            let items = try #require(try environment.openDatabase(named: "items", create: false))
            #expect(try environment.read { try $0.count(items) } == 256)
        }
    }

    @Test("a read-only open of an empty directory is reported as missing and creates nothing")
    func readOnlyEmptyDirectory() throws {
        try withTemporaryDirectory { directory throws in
            let error = #expect(throws: EnvironmentError.self) {
                try Environment.open(path: directory.path, options: .init(readOnly: true))
            }
            #expect(error?.isMissing == true)
            #expect(error?.meansDamagedFile == false)
            #expect(directoryListing(directory.path).isEmpty)

            // A read-write open of the same directory creates the store.
            _ = try Environment.open(path: directory.path)
            #expect(directoryListing(directory.path) == ["data.mdb", "lock.mdb"])
        }
    }

    @Test("a read-only open of a directory whose data.mdb is empty says what is wrong")
    func readOnlyEmptyDataFile() throws {
        try withTemporaryDirectory { directory throws in
            let dataPath = directory.appending("data.mdb")
            #expect(FileManager.default.createFile(atPath: dataPath, contents: Data()))
            let error = #expect(throws: EnvironmentError.self) {
                try Environment.open(path: directory.path, options: .init(readOnly: true))
            }
            // LMDB treats an empty file as a new store and tries to write its meta pages
            // through the read-only descriptor, so the open fails with EBADF.
            #expect(error?.isMissing == true || error?.meansDamagedFile == true, "\(String(describing: error))")
            #expect(try fileContents(dataPath).isEmpty)

            // A read-write open turns the empty file into a fresh store.
            let environment = try Environment.open(path: directory.path)
            #expect(try environment.read { try $0.mainDatabaseEntryCount() } == 0)
            #expect(try fileContents(dataPath).count > 0)
        }
    }

    @Test("a copy of a store cannot be written into a directory that already holds one")
    func copyIntoOccupiedDirectory() throws {
        try withTemporaryDirectory { source throws in
            try withTemporaryDirectory { target throws in
                let (environment, _) = try openWithDatabase(source.path)
                _ = try Environment.open(path: target.path)
                let before = try fileContents(target.appending("data.mdb"))
                #expect(throws: LMDBError.self) { try environment.copyCompacted(to: target.path) }
                #expect(try fileContents(target.appending("data.mdb")) == before)
            }
        }
    }
}

@Suite("LMDBError")
struct LMDBErrorTests {
    static let allNamed: [LMDBError] = [
        .keyExists, .notFound, .pageNotFound, .corrupted, .panic, .versionMismatch, .invalid, .mapFull,
        .databasesFull, .readersFull, .tlsFull, .transactionFull, .cursorFull, .pageFull, .mapResized,
        .incompatible, .badReaderSlot, .badTransaction, .badValueSize, .badDatabase, .noSpace,
        .permissionDenied, .readOnlyFileSystem, .noSuchFile, .ioError, .wouldBlock, .noMemory, .invalidArgument,
    ]

    @Test("every named code is distinct and has a non-empty description")
    func descriptions() {
        #expect(Set(Self.allNamed).count == Self.allNamed.count)
        for code in Self.allNamed {
            #expect(!code.description.isEmpty, "\(code.rawValue)")
        }
        #expect(!LMDBError(rawValue: -12345).description.isEmpty)
    }

    @Test("hints are set where a person can do something", arguments: [LMDBError.mapFull, .noSpace, .invalid])
    func hints(code: LMDBError) {
        let hint = code.hint
        #expect(hint != nil)
        #expect(hint?.isEmpty == false)
    }

    @Test("classification of codes")
    func classification() {
        #expect(LMDBError.mapFull.meansNoSpace)
        #expect(LMDBError.noSpace.meansNoSpace)
        #expect(!LMDBError.invalid.meansNoSpace)
        for code in [LMDBError.invalid, .corrupted, .pageNotFound, .versionMismatch] {
            #expect(code.meansDamagedFile, "\(code)")
        }
        #expect(!LMDBError.mapFull.meansDamagedFile)
        #expect(!LMDBError.notFound.meansDamagedFile)
        // What LMDB reports after meeting a damaged page in a place that does not report it
        // itself (a cursor's first page, a page's free-space bounds, a node's flags).
        for code in [LMDBError.badTransaction, .pageFull, .incompatible, .cursorFull, .panic] {
            #expect(code.meansDamagedFile, "\(code)")
            #expect(code.damageDescription != code.description, "\(code) has no words of its own")
            #expect(code.hint?.contains("restore it from a backup") == true, "\(code)")
        }
        #expect(LMDBError.notFound.hint == nil)
    }

    @Test("raw values round-trip and the ~= pattern matches only the same code")
    func patternMatching() {
        #expect(LMDBError(rawValue: LMDBError.mapFull.rawValue) == .mapFull)
        let thrown: any Error = LMDBError.mapFull
        #expect(LMDBError.mapFull ~= thrown)
        #expect(!(LMDBError.noSpace ~= thrown))
        #expect(!(LMDBError.mapFull ~= ClosureFailure(tag: 0)))
        let matched: String
        switch thrown {
        case LMDBError.noSpace: matched = "noSpace"
        case LMDBError.mapFull: matched = "mapFull"
        default: matched = "other"
        }
        #expect(matched == "mapFull")
    }
}
