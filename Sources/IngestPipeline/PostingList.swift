#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Packed posting lists — `chunk id (16) · term frequency (u32 big-endian)` each, sorted by
/// chunk id — merged as bytes, without decoding a posting into its own array.
enum PostingList {
    static let stride = 20
    static let chunkBytes = 16

    /// Appends one posting.
    static func append(chunk: [UInt8], frequency: UInt32, to list: inout [UInt8]) {
        list.append(contentsOf: chunk)
        withUnsafeBytes(of: frequency.bigEndian) { list.append(contentsOf: $0) }
    }

    /// `list` sorted by chunk id (returned as it is when it already is: a group's chunks
    /// usually arrive in order). A trailing partial posting is dropped.
    static func sortedByChunk(_ list: [UInt8]) -> [UInt8] {
        let count = list.count / stride
        let inOrder = list.withUnsafeBytes { bytes in
            (1..<max(count, 1)).allSatisfy { compare(bytes, ($0 - 1) * stride, bytes, $0 * stride) < 0 }
        }
        if inOrder { return list.count == count * stride ? list : Array(list[..<(count * stride)]) }
        return list.withUnsafeBytes { bytes in
            let order = (0..<count).sorted { compare(bytes, $0 * stride, bytes, $1 * stride) < 0 }
            var sorted: [UInt8] = []
            sorted.reserveCapacity(count * stride)
            for index in order { sorted.append(contentsOf: bytes[(index * stride)..<((index + 1) * stride)]) }
            return sorted
        }
    }

    /// One list from `lists` (oldest first): every chunk once, the newest list's posting
    /// where several list it, and only chunks `exists` keeps. A trailing partial posting
    /// of a damaged list is ignored.
    static func merge(_ lists: [[UInt8]], exists: (UnsafeRawBufferPointer) throws -> Bool) rethrows -> [UInt8] {
        var merged: [UInt8] = []
        for list in lists {
            merged = mergeTwo(older: merged, newer: list)
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(merged.count)
        try merged.withUnsafeBytes { bytes in
            var offset = 0
            while offset + stride <= bytes.count {
                let posting = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + stride)])
                if try exists(UnsafeRawBufferPointer(rebasing: posting[..<chunkBytes])) { kept.append(contentsOf: posting) }
                offset += stride
            }
        }
        return kept
    }

    /// Two sorted lists as one; on equal chunk ids the newer posting wins. When the newer
    /// list starts after the older one ends — the usual case, chunk ids grow with each
    /// group — it is appended as it is.
    static func mergeTwo(older: [UInt8], newer: [UInt8]) -> [UInt8] {
        let olderCount = older.count / stride * stride, newerCount = newer.count / stride * stride
        if olderCount == 0 { return Array(newer[..<newerCount]) }
        if newerCount == 0 { return Array(older[..<olderCount]) }
        return older.withUnsafeBytes { old in
            newer.withUnsafeBytes { new in
                var result: [UInt8] = []
                result.reserveCapacity(olderCount + newerCount)
                if compare(old, olderCount - stride, new, 0) < 0 {
                    result.append(contentsOf: old[..<olderCount])
                    result.append(contentsOf: new[..<newerCount])
                    return result
                }
                var i = 0, j = 0
                while i < olderCount, j < newerCount {
                    let order = compare(old, i, new, j)
                    if order < 0 {
                        result.append(contentsOf: old[i..<(i + stride)])
                        i += stride
                    } else {
                        result.append(contentsOf: new[j..<(j + stride)])
                        if order == 0 { i += stride }
                        j += stride
                    }
                }
                result.append(contentsOf: old[i..<olderCount])
                result.append(contentsOf: new[j..<newerCount])
                return result
            }
        }
    }

    /// Orders the chunk ids at two offsets (memcmp of 16 bytes).
    private static func compare(_ left: UnsafeRawBufferPointer, _ leftOffset: Int, _ right: UnsafeRawBufferPointer, _ rightOffset: Int) -> Int32 {
        guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return 0 }
        return memcmp(leftBase + leftOffset, rightBase + rightOffset, chunkBytes)
    }
}
