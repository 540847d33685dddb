#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Where `data.mdb` is mapped in this process and how much of it is backed by the file.
///
/// LMDB keeps no checksums and trusts the offsets and sizes stored in its pages. In a
/// damaged file a node's size can reach past the end of the file, and reading there raises
/// SIGBUS (inside the map) or SIGSEGV (past it). Every key and value a transaction hands
/// out is checked against this window first, so damage becomes `LMDBError.corrupted`.
struct MapWindow: Sendable {
    /// First byte of the map.
    let start: UInt
    /// One past the last byte of the map (the map size LMDB reserved).
    let end: UInt
    /// One past the last byte backed by the file when the transaction began. The pages of
    /// a snapshot are written before the meta page that names them, so everything a
    /// transaction can legitimately reach lies below this.
    let fileEnd: UInt

    /// Whether `count` bytes at `address` may be read. Inside the map they must end within
    /// the file; outside it only a write transaction's dirty pages (heap copies) are legitimate.
    func allows(_ address: UnsafeRawPointer?, count: Int, writable: Bool) -> Bool {
        guard count > 0, let address else { return true }
        let first = UInt(bitPattern: address)
        guard first >= start, first < end else { return writable }
        let (last, overflow) = first.addingReportingOverflow(UInt(count))
        return !overflow && last <= fileEnd
    }
}

/// The addresses a file is mapped at.
struct MapRange: Sendable {
    let start: UInt
    let end: UInt

    /// The window a transaction beginning now may read: up to the file's current size.
    func window(fileSize: Int) -> MapWindow {
        let backed = min(UInt(max(0, fileSize)), end - start)
        return MapWindow(start: start, end: end, fileEnd: start + backed)
    }
}

/// Finds the mapping of a file in `/proc/self/maps` (Linux only; elsewhere `nil`, and no
/// checks are made).
enum MapLocator {
    /// The address range this process maps `data.mdb` of `directory` at, by device and inode.
    static func mapping(ofDataFileIn directory: String) -> MapRange? {
        #if os(Linux)
        var info = stat()
        guard stat(directory + "/data.mdb", &info) == 0 else { return nil }
        // glibc's major()/minor() split, which the Swift overlay does not export.
        let raw = UInt64(info.st_dev)
        let device = (major: ((raw >> 8) & 0xFFF) | ((raw >> 32) & ~0xFFF), minor: (raw & 0xFF) | ((raw >> 12) & ~0xFF))
        for fields in mapsLines(containing: Array(" \(info.st_ino) ".utf8)) {
            guard fields.count >= 6,
                let inode = number(fields[4], radix: 10), inode == UInt64(info.st_ino),
                number(fields[2], radix: 16) == 0
            else { continue }
            let deviceParts = fields[3].split(separator: UInt8(ascii: ":"))
            guard deviceParts.count == 2, number(deviceParts[0], radix: 16) == device.major,
                number(deviceParts[1], radix: 16) == device.minor
            else { continue }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2, let low = number(range[0], radix: 16), let high = number(range[1], radix: 16) else { continue }
            return MapRange(start: UInt(low), end: UInt(high))
        }
        return nil
        #else
        return nil
        #endif
    }

    /// The executable mapping of the shared library whose file name starts with `name`
    /// (`liblmdb`), for telling a fault inside it from one elsewhere.
    static func executableRange(ofLibraryNamed name: String) -> MapRange? {
        #if os(Linux)
        var found: MapRange?
        for fields in mapsLines(containing: Array("/\(name)".utf8)) {
            guard fields.count >= 6, fields[1].contains(UInt8(ascii: "x")),
                let file = fields[5].split(separator: UInt8(ascii: "/")).last, file.starts(with: Array(name.utf8))
            else { continue }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2, let low = number(range[0], radix: 16), let high = number(range[1], radix: 16) else { continue }
            // One library may have several executable segments; take their span.
            found = MapRange(start: min(found?.start ?? UInt(low), UInt(low)), end: max(found?.end ?? UInt(high), UInt(high)))
        }
        return found
        #else
        return nil
        #endif
    }

    /// The lines of `/proc/self/maps` that contain `needle`, split into fields. Found with
    /// `memchr` and `memcmp` and split only where they match: every command reads the file,
    /// and splitting all of it would cost more than the rest of opening a store.
    private static func mapsLines(containing needle: [UInt8]) -> [[ArraySlice<UInt8>]] {
        #if os(Linux)
        guard let text = readWholeFile("/proc/self/maps"), let first = needle.first else { return [] }
        let matches: [Int] = text.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { pattern in
                guard let base = haystack.baseAddress, let wanted = pattern.baseAddress else { return [] }
                var found: [Int] = []
                var offset = 0
                while offset + pattern.count <= haystack.count,
                    let hit = memchr(base + offset, Int32(first), haystack.count - offset - pattern.count + 1)
                {
                    let at = UnsafeRawPointer(hit) - base
                    if memcmp(hit, wanted, pattern.count) == 0 { found.append(at) }
                    offset = at + 1
                }
                return found
            }
        }
        var lines: [[ArraySlice<UInt8>]] = []
        var lastEnd = -1
        for at in matches where at > lastEnd {
            let start = text[..<at].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            let end = text[at...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            lines.append(text[start..<end].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true))
            lastEnd = end
        }
        return lines
        #else
        return []
        #endif
    }

    private static func number(_ bytes: ArraySlice<UInt8>, radix: Int) -> UInt64? {
        UInt64(String(decoding: bytes, as: UTF8.self), radix: radix)
    }

    private static func readWholeFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
        }
    }
}
