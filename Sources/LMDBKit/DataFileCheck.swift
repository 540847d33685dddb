#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Looks at `data.mdb`'s first meta page before LMDB does, so that a foreign or garbage
/// file is refused without LMDB creating a `lock.mdb` beside it.
enum DataFileCheck {
    /// LMDB's `MDB_MAGIC`, stored little-endian at the start of each meta page's data.
    static let magic: UInt32 = 0xBEEF_C0DE
    /// On 64-bit builds the page header before the meta data is 16 bytes.
    static let metaOffset = MemoryLayout<Int>.size == 8 ? 16 : 12

    /// `nil` when there is no file, an empty one (LMDB initialises it), or the magic is
    /// right; `LMDBError.invalid` when the file holds something else.
    static func headerProblem(in directory: String) -> LMDBError? {
        let descriptor = Glibc.open(directory + "/data.mdb", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: metaOffset + 4)
        let count = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        if count == 0 { return nil }
        guard count == header.count else { return .invalid }
        let found = header[metaOffset..<(metaOffset + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return found == magic ? nil : .invalid
    }

    /// The file size the newest meta page's root pages need, and the size the file has, when
    /// the file is too short for them; `nil` when it is long enough.
    ///
    /// The roots are written in the same commit as the meta page that names them, and new
    /// pages go to the end of the file, so a truncated file almost always loses them.
    static func truncation(in directory: String, pageSize: Int) -> (needed: Int, actual: Int)? {
        let descriptor = Glibc.open(directory + "/data.mdb", O_RDONLY)
        guard descriptor >= 0, pageSize > 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let actual = Int(info.st_size)
        // MDB_meta after the page header: magic, version (u32 each), address, map size
        // (words), then the free and main MDB_db records (48 bytes each, root last), then
        // the last page and the transaction id.
        let word = MemoryLayout<Int>.size
        let databases = metaOffset + 8 + 2 * word
        let databaseSize = 8 + 5 * word
        var newest: (txnid: UInt64, roots: [UInt64])?
        for page in 0..<2 {
            var meta = [UInt8](repeating: 0, count: databases + 2 * databaseSize + 2 * word)
            let count = meta.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(page * pageSize)) }
            guard count == meta.count else { continue }
            func value(at offset: Int) -> UInt64 {
                meta[offset..<(offset + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
            let txnid = value(at: databases + 2 * databaseSize + 8)
            let roots = [value(at: databases + databaseSize - 8), value(at: databases + 2 * databaseSize - 8)]
            if newest == nil || txnid > newest?.txnid ?? 0 { newest = (txnid, roots) }
        }
        guard let roots = newest?.roots else { return nil }
        let invalid = UInt64.max
        let highest = roots.filter { $0 != invalid }.max() ?? 1
        let needed = (Int(clamping: highest) + 1) * pageSize
        return actual < needed ? (needed, actual) : nil
    }
}
