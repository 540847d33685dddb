import Foundation
import IngestTestSupport
import Testing
@testable import LMDBKit

/// `Environment.checkStructure()` accepts every shape LMDB writes and names each kind of
/// damage; the meta-page check refuses what LMDB itself would trust.
@Suite("structure check and meta pages")
struct StructureCheckTests {
    /// Keys `key-00000`…: one write of `count` entries into `items`, then the environment closes.
    private static func writeItems(_ path: String, count: Int, valueSize: Int = 40) throws {
        let (environment, items) = try openWithDatabase(path)
        try environment.write { txn in
            for index in 0..<count {
                let value = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: valueSize)
                try txn.put(items, bytes(String(format: "key-%05d", index)), value)
            }
        }
    }

    @Test("a varied workload — deletes, overflow values, duplicates in pages and sub-trees, fixed-size duplicates — passes, and so does its compacted copy")
    func soundStructures() throws {
        try withTemporaryDirectory { directory in
            let environment = try Environment.open(path: directory.path, options: .init(maxDatabases: 8))
            let plain = try #require(try environment.openDatabase(named: "plain", create: true))
            let big = try #require(try environment.openDatabase(named: "big", create: true))
            let dups = try #require(try environment.openDatabase(named: "dups", create: true, flags: .duplicateSort))
            let fixed = try #require(try environment.openDatabase(named: "fixed", create: true, flags: [.duplicateSort, .duplicateFixed]))
            var generator = SeededGenerator(seed: 7)
            for round in 0..<6 {
                try environment.write { txn in
                    for index in 0..<800 {
                        let size = Int.random(in: 1...300, using: &generator)
                        try txn.put(plain, bytes("p\(round)-\(index)"), [UInt8](repeating: 7, count: size))
                    }
                    for index in 0..<5 {
                        try txn.put(big, bytes("b\(round)-\(index)"), [UInt8](repeating: 1, count: 5_000 + 9_000 * index))
                    }
                    for key in 0..<20 {
                        // 1, a few, or hundreds of values: an inline sub-page or a sub-tree.
                        for value in 0..<(key == 0 ? 600 : key % 4 + 1) {
                            try txn.put(dups, bytes("d\(key)"), bytes("r\(round)-v\(value)"))
                            try txn.put(fixed, bytes("f\(key)"), bigEndian(UInt64(round * 10_000 + value)))
                        }
                    }
                }
                try environment.write { txn in
                    for index in stride(from: 0, to: 800, by: 3) { try txn.delete(plain, bytes("p\(round)-\(index)")) }
                    if round > 0 { try txn.delete(big, bytes("b\(round - 1)-2")) }
                }
            }
            #expect(try environment.checkStructure() == [])
            let copy = directory.appending("copy")
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try environment.copyCompacted(to: copy)
            #expect(try Environment.open(path: copy, options: .init(maxDatabases: 8)).checkStructure() == [])
        }
    }

    /// Writes 3000 items in a fresh environment, damages `data.mdb` with `damage`, and returns
    /// what the walk reports.
    private static func problems(after damage: (inout DataFileImage) throws -> Void) throws -> [StructureProblem] {
        try withTemporaryDirectory { directory in
            try writeItems(directory.path, count: 3000)
            let path = directory.appending("data.mdb")
            var image = try DataFileImage(contentsOf: path)
            try damage(&image)
            try image.write(to: path)
            return try Environment.open(path: directory.path, options: .init(readOnly: true)).checkStructure()
        }
    }

    /// The first leaf page holding item keys (one write transaction leaves no stale copies).
    private static func itemLeaf(_ image: DataFileImage) throws -> Int {
        try #require(image.treePages().first { page in
            image.u64(page * image.pageSize) == UInt64(page) && image.bytes[page * image.pageSize + 10] & 0x02 != 0
                && image.nodes(of: page).count > 2
                && image.nodes(of: page).allSatisfy { image.bytes[$0.key].starts(with: bytes("key-")) }
        })
    }

    @Test("a page whose header names another page is reported with its number")
    func wrongPageNumber() throws {
        var damaged = 0
        let found = try Self.problems { image in
            damaged = try Self.itemLeaf(image)
            image.setU64(UInt64(damaged) + 100_000, at: damaged * image.pageSize)
        }
        #expect(found.contains { $0.database == "items" && $0.page == UInt64(damaged) && $0.detail.contains("says it is page") }, "\(found)")
    }

    @Test("a node offset outside the page is reported before anything reads through it")
    func nodeOutsidePage() throws {
        let found = try Self.problems { image in
            let page = try Self.itemLeaf(image)
            let pointer = page * image.pageSize + 16
            image.bytes[pointer] = 0xF0
            image.bytes[pointer + 1] = 0xFF
        }
        #expect(found.contains { $0.database == "items" && $0.detail.contains("outside the page's nodes") }, "\(found)")
    }

    @Test("a value size running past its page is reported with the key")
    func valuePastPage() throws {
        let found = try Self.problems { image in
            let node = try #require(image.nodes(of: try Self.itemLeaf(image)).last)
            image.bytes[node.offset + 2] = 0xFF
        }
        let problem = try #require(found.first, "nothing found")
        #expect(problem.database == "items" && problem.detail.contains("runs past the page"), "\(found)")
        #expect(problem.key.map { String(decoding: $0, as: UTF8.self).hasPrefix("key-") } == true, "\(found)")
    }

    @Test("keys out of order are reported")
    func keysOutOfOrder() throws {
        let found = try Self.problems { image in
            let node = try #require(image.nodes(of: try Self.itemLeaf(image)).last)
            image.bytes[node.key.lowerBound] = 0x00
        }
        #expect(found.contains { $0.database == "items" && $0.detail.contains("out of order") }, "\(found)")
    }

    // MARK: Meta pages

    /// Opens an environment whose `data.mdb` was damaged by `damage` after three commits.
    private static func openAfter(_ damage: (inout DataFileImage) -> Void) throws -> EnvironmentError? {
        try withTemporaryDirectory { directory -> EnvironmentError? in
            for round in 0..<3 { try writeItems(directory.path, count: 10 + round) }
            let path = directory.appending("data.mdb")
            var image = try DataFileImage(contentsOf: path)
            damage(&image)
            try image.write(to: path)
            do throws(EnvironmentError) {
                _ = try Environment.open(path: directory.path, options: .init(readOnly: true))
                return nil
            } catch {
                return error
            }
        }
    }

    @Test("a sound file after several commits opens")
    func soundMetaPages() throws {
        #expect(try Self.openAfter { _ in } == nil)
    }

    @Test("a bad magic number in meta page 1 alone is refused, naming the page")
    func badMagicInSecondMeta() throws {
        let error = try #require(try Self.openAfter { image in image.bytes[image.metaOffset(1, .magic)] ^= 0x01 })
        #expect(error.meansDamagedFile && error.description.contains("meta page 1"), "\(error)")
    }

    @Test("an older meta page whose transaction id jumped ahead is refused (LMDB would read the older snapshot)")
    func transactionJump() throws {
        let error = try #require(try Self.openAfter { image in
            let older = 1 - image.newestMeta
            let offset = image.metaOffset(older, .transaction)
            image.setU64(image.u64(offset) + 1 << 40, at: offset)
        })
        #expect(error.meansDamagedFile && error.description.contains("meta page"), "\(error)")
    }

    @Test("a root page number past the last page is refused")
    func rootOutOfRange() throws {
        let error = try #require(try Self.openAfter { image in
            let newest = image.newestMeta
            image.setU64(image.u64(image.metaOffset(newest, .lastPage)) + 5, at: image.metaOffset(newest, .mainRoot))
        })
        #expect(error.meansDamagedFile && error.description.contains("root page"), "\(error)")
    }
}
