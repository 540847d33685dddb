internal import CLMDB

/// One thing wrong with the B-trees of `data.mdb`, found by `Environment.checkStructure()`.
public struct StructureProblem: Sendable, Hashable, CustomStringConvertible {
    /// The named database it is in, or `main` (the database of names) or `free pages`.
    public let database: String
    /// The page it is on, when it is about one page.
    public let page: UInt64?
    /// A key near the problem: the first key of the page, or the key that leads to it.
    public let key: [UInt8]?
    /// What is wrong, in words.
    public let detail: String

    public var description: String {
        "\(database)" + (page.map { " page \($0)" } ?? "") + ": \(detail)"
    }
}

extension Environment {
    /// Walks every page the current snapshot reaches — the database of names, each named
    /// database, the free-page database and the overflow pages — reading `data.mdb` with
    /// `pread`, never through the map, so that no damaged page can crash the walk.
    ///
    /// LMDB keeps no checksums and trusts its pages; this checks what it trusts: page
    /// numbers within the file, page headers, node offsets and sizes within their pages,
    /// keys in order and within their parents' bounds, depths, entry and page counts, and
    /// that no page is used twice or both used and free. A store that passes can be read by
    /// LMDB without it following a bad pointer.
    ///
    /// Runs inside a read transaction, which keeps the snapshot's pages from being reused
    /// by a writer while they are read.
    /// - Parameter limit: Stop after this many problems.
    /// - Returns: The problems found, in walk order; empty when the structure is sound.
    public func checkStructure(limit: Int = 100) throws -> [StructureProblem] {
        try read { txn in
            let snapshot = UInt64(mdb_txn_id(txn.handle))
            guard let file = DataFilePages(directory: path) else {
                return [StructureProblem(database: "main", page: nil, key: nil, detail: "data.mdb cannot be read")]
            }
            guard let meta = file.meta(ofTransaction: snapshot) else {
                // Two commits replaced the snapshot's meta page between the transaction's
                // start and the read: LMDB's own checks passed, nothing to walk.
                return []
            }
            var walker = PageWalker(file: file, lastPage: meta.lastPage, limit: limit)
            walker.walkAll(free: meta.free, main: meta.main)
            return walker.problems
        }
    }
}

/// `MDB_db`: a B-tree's root, depth, flags and counts (48 bytes).
struct TreeRecord {
    static let size = 48
    let flags: UInt16
    let depth: UInt16
    let branchPages: UInt64
    let leafPages: UInt64
    let overflowPages: UInt64
    let entries: UInt64
    let root: UInt64

    init(_ bytes: ArraySlice<UInt8>) {
        let base = bytes.startIndex
        flags = LittleEndian.u16(bytes, base + 4)
        depth = LittleEndian.u16(bytes, base + 6)
        branchPages = LittleEndian.u64(bytes, base + 8)
        leafPages = LittleEndian.u64(bytes, base + 16)
        overflowPages = LittleEndian.u64(bytes, base + 24)
        entries = LittleEndian.u64(bytes, base + 32)
        root = LittleEndian.u64(bytes, base + 40)
    }

    /// `MDB_DUPSORT`, `MDB_INTEGERKEY`, `MDB_REVERSEKEY`, `MDB_DUPFIXED`, `MDB_INTEGERDUP`, `MDB_REVERSEDUP`.
    var duplicateSort: Bool { flags & 0x04 != 0 }
    var duplicateFixed: Bool { flags & 0x10 != 0 }
    /// Keys compared as plain bytes (no integer or reversed order), so their order can be checked.
    var bytewiseKeys: Bool { flags & (0x02 | 0x08) == 0 }
    var bytewiseValues: Bool { flags & (0x20 | 0x40) == 0 }
}

enum LittleEndian {
    static func u16(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { u16(bytes[...], at) }
    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    static func u64(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
    static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 { u64(bytes[...], at) }
}
