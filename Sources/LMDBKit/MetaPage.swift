#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One of the two meta pages at the start of `data.mdb`, as LMDB 0.9 lays it out on a
/// 64-bit build: a 16-byte page header, then `MDB_meta`.
///
/// LMDB checks only the magic and the version of each, then trusts the one with the higher
/// transaction id. A flipped bit anywhere else goes unnoticed: a root page number sends it
/// into the wrong pages, a transaction id makes it read an older snapshot and write the
/// next commit over the newer one. `problems(pageCount:)` checks what LMDB does not.
struct MetaPage {
    /// `P_META`, in the page header's flags.
    static let metaFlag: UInt16 = 0x08
    /// `MDB_DATA_VERSION` of LMDB 0.9.
    static let dataVersion: UInt32 = 1
    /// `P_INVALID`: the root of an empty database.
    static let invalidPage = UInt64.max
    /// LMDB's `CURSOR_STACK`: no B-tree may be deeper.
    static let maxDepth: UInt16 = 32
    /// Bytes read from the start of a meta page: header, `MDB_meta` up to the transaction id.
    static let length = 16 + 136

    let index: Int
    let pageNumber: UInt64
    let flags: UInt16
    let magic: UInt32
    let version: UInt32
    let mapSize: UInt64
    /// `md_pad` of the free database: the page size the file was created with.
    let pageSize: UInt32
    let freeRoot: UInt64
    let freeDepth: UInt16
    let mainRoot: UInt64
    let mainDepth: UInt16
    let lastPage: UInt64
    let transaction: UInt64

    /// Parses the first `length` bytes of meta page `index`.
    init(index: Int, bytes: [UInt8]) {
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        self.index = index
        pageNumber = u64(0)
        flags = u16(10)
        magic = u32(16)
        version = u32(20)
        mapSize = u64(32)
        // MDB_db: pad u32, flags u16, depth u16, branch/leaf/overflow pages, entries, root.
        pageSize = u32(40)
        freeDepth = u16(46)
        freeRoot = u64(80)
        mainDepth = u16(94)
        mainRoot = u64(128)
        lastPage = u64(136)
        transaction = u64(144)
    }

    /// Reads both meta pages of `data.mdb` in `directory`: page 0 at offset 0, page 1 at
    /// the page size page 0 records, as LMDB does. `nil` entries could not be read whole.
    ///
    /// The file's size is taken after the meta pages. A writer in another process grows the
    /// file with a commit's pages before it writes the meta page naming them, so a size
    /// taken first could predate a meta page read after it, and a live store would look
    /// truncated (`tools/soak` caught `ingest verify` reporting exactly that mid-run).
    static func read(from directory: String) -> (pages: [MetaPage?], fileSize: Int)? {
        let descriptor = open(directory + "/data.mdb", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        func page(_ index: Int, at offset: Int) -> MetaPage? {
            var bytes = [UInt8](repeating: 0, count: length)
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            return count == length ? MetaPage(index: index, bytes: bytes) : nil
        }
        let first = page(0, at: 0)
        let second = first.flatMap { isPlausible(pageSize: $0.pageSize) ? page(1, at: Int($0.pageSize)) : nil }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return ([first, second], Int(info.st_size))
    }

    static func isPlausible(pageSize: UInt32) -> Bool {
        pageSize >= 512 && pageSize <= 65_536 && pageSize & (pageSize - 1) == 0
    }

    /// What is wrong with this page on its own, in words; empty when nothing is.
    func problems() -> [String] {
        var found: [String] = []
        if pageNumber != UInt64(index) { found.append("its page number reads \(pageNumber)") }
        if flags & Self.metaFlag == 0 { found.append("it is not marked as a meta page (flags 0x\(String(flags, radix: 16)))") }
        if magic != DataFileCheck.magic { found.append("its magic number is 0x\(String(magic, radix: 16))") }
        if version != Self.dataVersion { found.append("its format version is \(version)") }
        guard Self.isPlausible(pageSize: pageSize) else {
            found.append("its page size \(pageSize) is not a power of two from 512 to 65536")
            return found
        }
        if lastPage < 1 { found.append("its last page \(lastPage) leaves no room for the meta pages") }
        let pagesInMap = mapSize / UInt64(pageSize)
        if lastPage < UInt64.max && pagesInMap < lastPage + 1 {
            found.append("its map size \(mapSize) is smaller than its \(lastPage + 1) pages")
        }
        for (name, root, depth) in [("free-page", freeRoot, freeDepth), ("main", mainRoot, mainDepth)] {
            if root == Self.invalidPage {
                if depth != 0 { found.append("its \(name) database is empty but \(depth) levels deep") }
            } else if root < 2 || root > lastPage {
                found.append("its \(name) database's root page \(root) is outside pages 2...\(lastPage)")
            } else if depth == 0 || depth > Self.maxDepth {
                found.append("its \(name) database is \(depth) levels deep")
            }
        }
        if transaction != 0 && Int(transaction & 1) != index {
            found.append("its transaction id \(transaction) belongs on meta page \(1 - index)")
        }
        return found
    }
}
