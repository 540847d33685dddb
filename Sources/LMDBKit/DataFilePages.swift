#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// `data.mdb` read page by page with `pread`, for `checkStructure`: a damaged page read this
/// way is only bytes, never a pointer.
final class DataFilePages {
    let pageSize: Int
    let fileSize: Int
    private let descriptor: Int32

    /// The roots and last page of one snapshot, from its meta page.
    struct Meta {
        let free: TreeRecord
        let main: TreeRecord
        let lastPage: UInt64
    }

    init?(directory: String) {
        let descriptor = open(directory + "/data.mdb", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        var info = stat()
        guard fstat(descriptor, &info) == 0, let first = MetaPage.read(from: directory)?.pages[0],
            MetaPage.isPlausible(pageSize: first.pageSize)
        else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        self.pageSize = Int(first.pageSize)
        self.fileSize = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// The bytes of page `number`, or `nil` when the file ends before it.
    func page(_ number: UInt64) -> [UInt8]? { pages(number, count: 1) }

    /// The bytes of `count` pages from `number` on, or `nil` when the file ends before them.
    func pages(_ number: UInt64, count: Int) -> [UInt8]? {
        guard count > 0, number < UInt64(fileSize / pageSize) else { return nil }
        let offset = Int(number) * pageSize
        let length = count * pageSize
        guard length <= fileSize - offset else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return pread(descriptor, base + done, length - done, off_t(offset + done))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            done += count
        }
        return bytes
    }

    /// The meta page written by transaction `id`, if it is still on disk.
    func meta(ofTransaction id: UInt64) -> Meta? {
        for number in [UInt64(0), 1] {
            guard let bytes = page(number), LittleEndian.u64(bytes, 144) == id else { continue }
            return Meta(
                free: TreeRecord(bytes[40..<88]), main: TreeRecord(bytes[88..<136]), lastPage: LittleEndian.u64(bytes, 136)
            )
        }
        return nil
    }
}
