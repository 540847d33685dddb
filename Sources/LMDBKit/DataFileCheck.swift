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
}
