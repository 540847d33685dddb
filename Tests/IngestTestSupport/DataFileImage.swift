internal import Foundation

/// The bytes of an LMDB `data.mdb` (0.9, 64-bit layout) with just enough structure to damage
/// it on purpose: its pages, their nodes, and the meta pages' fields.
///
/// It reads the file as it is, without following trees: a page counts as a B-tree page when
/// its header names its own number and says branch or leaf. Pages freed by older commits
/// look the same, so a change meant for a live record is best made to every match.
public struct DataFileImage {
    public var bytes: [UInt8]
    public let pageSize: Int

    /// A node of a branch or leaf page, by absolute offsets into `bytes`.
    public struct Node {
        public let page: Int
        /// Where the node's 8-byte header starts.
        public let offset: Int
        public let key: Range<Int>
        /// The value's bytes when it is stored in the page (a leaf node without overflow).
        public let value: Range<Int>?
        public let flags: UInt16
    }

    public init(contentsOf path: String) throws {
        bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let recorded = bytes.count >= 44 ? Int(UInt32(bytes[40]) | UInt32(bytes[41]) << 8 | UInt32(bytes[42]) << 16 | UInt32(bytes[43]) << 24) : 4096
        pageSize = recorded > 0 ? recorded : 4096
    }

    public func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    public var pageCount: Int { bytes.count / pageSize }

    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }

    public func u64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }

    public mutating func setU64(_ value: UInt64, at offset: Int) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    /// Pages 2... whose header names their own number and says branch (1) or leaf (2).
    public func treePages() -> [Int] {
        (2..<pageCount).filter { page in
            let base = page * pageSize
            let flags = u16(base + 10)
            let lower = u16(base + 12), upper = u16(base + 14)
            return u64(base) == UInt64(page) && flags & 0x03 != 0 && flags & 0x20 == 0
                && lower >= 16 && lower <= upper && upper <= pageSize && lower > 16
        }
    }

    /// The nodes of page `page` whose offsets and keys lie inside it.
    public func nodes(of page: Int) -> [Node] {
        let base = page * pageSize
        let isLeaf = u16(base + 10) & 0x02 != 0
        let count = (u16(base + 12) - 16) / 2
        return (0..<count).compactMap { index in
            let position = u16(base + 16 + 2 * index)
            guard position + 8 <= pageSize else { return nil }
            let offset = base + position
            let keySize = u16(offset + 6)
            guard position + 8 + keySize <= pageSize else { return nil }
            let key = (offset + 8)..<(offset + 8 + keySize)
            let flags = UInt16(u16(offset + 4))
            var value: Range<Int>?
            if isLeaf && flags & 0x01 == 0 {
                let size = u16(offset) | u16(offset + 2) << 16
                if position + 8 + keySize + size <= pageSize { value = key.upperBound..<(key.upperBound + size) }
            }
            return Node(page: page, offset: offset, key: key, value: value, flags: flags)
        }
    }

    /// Every leaf node (live or stale) whose key is `key`.
    public func leafNodes(withKey key: [UInt8]) -> [Node] {
        treePages().flatMap { page in
            nodes(of: page).filter { node in node.value != nil && bytes[node.key].elementsEqual(key) }
        }
    }

    /// Every leaf node whose key and value satisfy `matches`.
    public func leafNodes(where matches: (_ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>) -> Bool) -> [Node] {
        treePages().flatMap { page in
            nodes(of: page).filter { node in
                guard let value = node.value else { return false }
                return matches(bytes[node.key], bytes[value])
            }
        }
    }

    // MARK: Meta pages

    /// Byte offsets of meta page `index`'s fields.
    public enum MetaField: Int {
        case magic = 16
        case freeRoot = 80
        case mainRoot = 128
        case lastPage = 136
        case transaction = 144
    }

    public func metaOffset(_ index: Int, _ field: MetaField) -> Int { index * pageSize + field.rawValue }

    /// The meta page (0 or 1) with the higher transaction id: the one LMDB reads.
    /// The highest root page of the newest meta page's trees (main and free list), or 1 when
    /// both are empty.
    public var highestRoot: Int {
        let roots = [u64(metaOffset(newestMeta, .freeRoot)), u64(metaOffset(newestMeta, .mainRoot))]
        return Int(roots.filter { $0 != UInt64.max }.max() ?? 1)
    }

    public var newestMeta: Int {
        u64(metaOffset(1, .transaction)) > u64(metaOffset(0, .transaction)) ? 1 : 0
    }
}
