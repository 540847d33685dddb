/// Walks the B-trees of one snapshot of `data.mdb` for `Environment.checkStructure()`,
/// checking every page it reaches before following anything the page says.
///
/// Layout (LMDB 0.9, 64-bit): a page starts with a 16-byte header — page number (u64),
/// pad (u16), flags (u16), lower and upper bounds of its free space (u16 each; an overflow
/// page keeps its page count there as a u32). Node offsets (u16) follow the header; each
/// node is size-low, size-high, flags, key size (u16 each), then the key and the value. A
/// branch node stores its child's page number in size-low, size-high and flags.
struct PageWalker {
    private enum Role {
        /// The free-page database: integer keys, values are lists of page numbers.
        case free
        /// The database of names: values are the named databases' records.
        case main
        /// A named database (its flags say whether it holds duplicates).
        case named
        /// The sub-tree of one key's duplicates; its keys are the values.
        case duplicates
    }

    private struct Counts {
        var branch: UInt64 = 0
        var leaf: UInt64 = 0
        var overflow: UInt64 = 0
        var entries: UInt64 = 0
    }

    private static let headerSize = 16
    private static let nodeHeaderSize = 8
    private static let invalidPage = UInt64.max

    let file: DataFilePages
    let lastPage: UInt64
    let limit: Int
    private(set) var problems: [StructureProblem] = []
    private var used: [UInt64]
    private var freeLists: [(page: UInt64, key: [UInt8])] = []

    init(file: DataFilePages, lastPage: UInt64, limit: Int) {
        self.file = file
        self.lastPage = lastPage
        self.limit = limit
        let pages = min(lastPage, UInt64(file.fileSize / file.pageSize)) + 1
        used = Array(repeating: 0, count: Int(pages / 64) + 1)
    }

    /// Walks the free-page database and the database of names (and through it every named
    /// database), then checks that no page listed as free is in use.
    mutating func walkAll(free: TreeRecord, main: TreeRecord) {
        walkTree(free, name: "free pages", role: .free, key: nil)
        walkTree(main, name: "main", role: .main, key: nil)
        var listed = Set<UInt64>()
        for (page, key) in freeLists {
            if page < 2 || page > lastPage {
                report("free pages", nil, key, "lists page \(page) as free, outside pages 2...\(lastPage)")
            } else if isUsed(page) {
                report("free pages", page, key, "lists page \(page) as free while a database uses it")
            } else if !listed.insert(page).inserted {
                report("free pages", page, key, "lists page \(page) as free twice")
            }
        }
    }

    // MARK: Trees

    private mutating func walkTree(_ tree: TreeRecord, name: String, role: Role, key: [UInt8]?, bytewise: Bool? = nil) {
        if tree.root == Self.invalidPage {
            if tree.depth != 0 || tree.entries != 0 {
                report(name, nil, key, "is empty but its record says \(tree.depth) levels and \(tree.entries) entries")
            }
            return
        }
        guard (1...MetaPage.maxDepth).contains(tree.depth) else {
            report(name, tree.root, key, "its record says it is \(tree.depth) levels deep")
            return
        }
        var counts = Counts()
        let ordered = bytewise ?? tree.bytewiseKeys
        let before = problems.count
        walkPage(tree.root, levelsLeft: tree.depth, tree: tree, name: name, role: role, ordered: ordered,
                 bounds: (nil, nil), leadingKey: key, counts: &counts)
        // Counts of a tree that could not be walked whole mean nothing.
        guard problems.count == before else { return }
        if counts.entries != tree.entries {
            report(name, tree.root, key, "holds \(counts.entries) entries but its record says \(tree.entries)")
        }
        // A tree of duplicates keeps its sub-trees' pages in their own records.
        if !tree.duplicateSort && (counts.branch, counts.leaf, counts.overflow) != (tree.branchPages, tree.leafPages, tree.overflowPages) {
            report(name, tree.root, key, "has \(counts.branch)/\(counts.leaf)/\(counts.overflow) branch/leaf/overflow pages "
                + "but its record says \(tree.branchPages)/\(tree.leafPages)/\(tree.overflowPages)")
        }
    }

    private mutating func walkPage(
        _ number: UInt64, levelsLeft: UInt16, tree: TreeRecord, name: String, role: Role, ordered: Bool,
        bounds: (low: [UInt8]?, high: [UInt8]?), leadingKey: [UInt8]?, counts: inout Counts
    ) {
        guard problems.count < limit else { return }
        guard let bytes = claim(number, name: name, key: leadingKey) else { return }
        let flags = LittleEndian.u16(bytes, 10)
        let isBranch = flags & 0x01 != 0
        let isLeaf = flags & 0x02 != 0
        guard isBranch == (levelsLeft > 1), isLeaf == (levelsLeft == 1) else {
            let expected = levelsLeft > 1 ? "branch" : "leaf"
            report(name, number, leadingKey, "is not a \(expected) page (flags 0x\(String(flags, radix: 16)))")
            return
        }
        guard let keys = nodeKeys(bytes, in: 0..<file.pageSize, leaf2: flags & 0x20 != 0, name: name, page: number, key: leadingKey) else {
            return
        }
        if ordered { checkOrder(keys.map(\.key), skipFirst: isBranch, bounds: bounds, name: name, page: number) }
        if flags & 0x20 != 0 {
            counts.leaf += 1
            counts.entries += UInt64(keys.count)
            return
        }
        if isBranch {
            counts.branch += 1
            for (index, node) in keys.enumerated() {
                let child = UInt64(LittleEndian.u16(bytes, node.offset)) | UInt64(LittleEndian.u16(bytes, node.offset + 2)) << 16
                    | UInt64(LittleEndian.u16(bytes, node.offset + 4)) << 32
                let low = index == 0 ? bounds.low : node.key
                let high = index + 1 < keys.count ? keys[index + 1].key : bounds.high
                walkPage(child, levelsLeft: levelsLeft - 1, tree: tree, name: name, role: role, ordered: ordered,
                         bounds: (low, high), leadingKey: index == 0 ? leadingKey : node.key, counts: &counts)
            }
            return
        }
        counts.leaf += 1
        for node in keys {
            walkLeafNode(bytes, node: node, tree: tree, name: name, role: role, page: number, counts: &counts)
        }
    }

    private mutating func walkLeafNode(
        _ bytes: [UInt8], node: (offset: Int, key: [UInt8]), tree: TreeRecord, name: String, role: Role, page: UInt64,
        counts: inout Counts
    ) {
        let size = Int(LittleEndian.u16(bytes, node.offset)) | Int(LittleEndian.u16(bytes, node.offset + 2)) << 16
        let flags = LittleEndian.u16(bytes, node.offset + 4)
        let start = node.offset + Self.nodeHeaderSize + node.key.count
        let bigData = flags & 0x01 != 0, subData = flags & 0x02 != 0, duplicates = flags & 0x04 != 0
        // Most values are only checked to lie where they should; their bytes matter only for
        // records the walk follows (databases, duplicates, free-page lists).
        let needed = subData || duplicates || role == .free
        guard let value = value(bytes, at: start, size: size, big: bigData, needed: needed, name: name, page: page, key: node.key, counts: &counts) else {
            return
        }
        switch (subData, duplicates) {
        case (true, false):
            guard role == .main, value.count == TreeRecord.size else {
                report(name, page, node.key, "a value is marked as a database record where none belongs")
                return
            }
            counts.entries += 1
            walkTree(TreeRecord(value), name: String(decoding: node.key, as: UTF8.self), role: .named, key: nil)
        case (true, true):
            guard tree.duplicateSort, value.count == TreeRecord.size else {
                report(name, page, node.key, "a value is marked as a tree of duplicates where none belongs")
                return
            }
            let sub = TreeRecord(value)
            counts.entries += sub.entries
            walkTree(sub, name: name, role: .duplicates, key: node.key, bytewise: tree.bytewiseValues)
        case (false, true):
            guard tree.duplicateSort else {
                report(name, page, node.key, "a value is marked as duplicates in a database without them")
                return
            }
            counts.entries += UInt64(checkSubPage(Array(value), tree: tree, name: name, page: page, key: node.key))
        case (false, false):
            counts.entries += 1
            if role == .free { recordFreeList(Array(value), name: name, page: page, key: node.key) }
        }
    }

    // MARK: Pages and nodes

    /// Marks `number` used and reads it, or reports why it cannot be.
    private mutating func claim(_ number: UInt64, name: String, key: [UInt8]?) -> [UInt8]? {
        guard number >= 2, number <= lastPage else {
            report(name, nil, key, "points to page \(number), outside pages 2...\(lastPage)")
            return nil
        }
        guard markUsed(number) else {
            report(name, number, key, "is reached twice (a loop, or two trees sharing a page)")
            return nil
        }
        guard let bytes = file.page(number) else {
            report(name, number, key, "is past the end of data.mdb (\(file.fileSize) bytes): the file is truncated")
            return nil
        }
        let stored = LittleEndian.u64(bytes, 0)
        guard stored == number else {
            report(name, number, key, "says it is page \(stored)")
            return nil
        }
        return bytes
    }

    /// The node offsets and keys of a page (or sub-page) occupying `region` of `bytes`, all
    /// checked to lie inside it; `nil` after reporting when one does not.
    private mutating func nodeKeys(
        _ bytes: [UInt8], in region: Range<Int>, leaf2: Bool, name: String, page: UInt64, key: [UInt8]?
    ) -> [(offset: Int, key: [UInt8])]? {
        let base = region.lowerBound
        let length = region.count
        guard length >= Self.headerSize else {
            report(name, page, key, "holds a sub-page of \(length) bytes")
            return nil
        }
        let lower = Int(LittleEndian.u16(bytes, base + 12))
        let upper = Int(LittleEndian.u16(bytes, base + 14))
        guard lower >= Self.headerSize, lower <= upper, upper <= length, (lower - Self.headerSize) % 2 == 0 else {
            report(name, page, key, "has impossible free-space bounds \(lower)...\(upper)")
            return nil
        }
        let count = (lower - Self.headerSize) / 2
        guard count > 0 else {
            report(name, page, key, "holds no keys")
            return nil
        }
        if leaf2 {
            let size = Int(LittleEndian.u16(bytes, base + 8))
            guard size > 0, Self.headerSize + count * size <= length else {
                report(name, page, key, "holds \(count) fixed-size keys of \(size) bytes, more than fit")
                return nil
            }
            return (0..<count).map { index in
                let start = base + Self.headerSize + index * size
                return (start, Array(bytes[start..<(start + size)]))
            }
        }
        var nodes: [(offset: Int, key: [UInt8])] = []
        nodes.reserveCapacity(count)
        for index in 0..<count {
            let offset = Int(LittleEndian.u16(bytes, base + Self.headerSize + 2 * index))
            guard offset >= upper, offset % 2 == 0, offset + Self.nodeHeaderSize <= length else {
                report(name, page, nodes.last?.key ?? key, "node \(index) starts at \(offset), outside the page's nodes")
                return nil
            }
            let keySize = Int(LittleEndian.u16(bytes, base + offset + 6))
            guard offset + Self.nodeHeaderSize + keySize <= length else {
                report(name, page, nodes.last?.key ?? key, "node \(index)'s key of \(keySize) bytes runs past the page")
                return nil
            }
            let start = base + offset + Self.nodeHeaderSize
            nodes.append((base + offset, Array(bytes[start..<(start + keySize)])))
        }
        return nodes
    }

    /// A leaf node's value: inline (checked to end inside the page) or on overflow pages
    /// (checked and marked used). Its bytes are read only when `needed`; otherwise the slice
    /// is empty.
    private mutating func value(
        _ bytes: [UInt8], at start: Int, size: Int, big: Bool, needed: Bool, name: String, page: UInt64, key: [UInt8],
        counts: inout Counts
    ) -> ArraySlice<UInt8>? {
        guard big else {
            guard start + size <= file.pageSize else {
                report(name, page, key, "a value of \(size) bytes runs past the page")
                return nil
            }
            return bytes[start..<(start + size)]
        }
        guard start + 8 <= file.pageSize else {
            report(name, page, key, "the overflow page number runs past the page")
            return nil
        }
        let first = LittleEndian.u64(bytes, start)
        guard let head = claim(first, name: name, key: key) else { return nil }
        let pages = Int(LittleEndian.u32(head, 12))
        let minimum = (Self.headerSize + size + file.pageSize - 1) / file.pageSize
        guard LittleEndian.u16(head, 10) & 0x04 != 0, pages >= minimum, first + UInt64(pages) - 1 <= lastPage else {
            report(name, first, key, "is not an overflow page of at least \(minimum) pages for a \(size)-byte value")
            return nil
        }
        for extra in 1..<max(pages, 1) where !markUsed(first + UInt64(extra)) {
            report(name, first + UInt64(extra), key, "is reached twice (an overflow value overlaps another page)")
            return nil
        }
        counts.overflow += UInt64(pages)
        guard (Int(first) + pages) * file.pageSize <= file.fileSize else {
            report(name, first, key, "an overflow value runs past the end of data.mdb: the file is truncated")
            return nil
        }
        guard needed, let whole = file.pages(first, count: pages) else { return needed ? nil : [] }
        return whole[Self.headerSize..<(Self.headerSize + size)]
    }

    /// Checks an inline page of duplicates; returns how many values it holds.
    private mutating func checkSubPage(_ value: [UInt8], tree: TreeRecord, name: String, page: UInt64, key: [UInt8]) -> Int {
        guard value.count >= Self.headerSize else {
            report(name, page, key, "holds a sub-page of \(value.count) bytes")
            return 0
        }
        let flags = LittleEndian.u16(value, 10)
        guard let values = nodeKeys(value, in: 0..<value.count, leaf2: flags & 0x20 != 0, name: name, page: page, key: key) else {
            return 0
        }
        if tree.bytewiseValues { checkOrder(values.map(\.key), skipFirst: false, bounds: (nil, nil), name: name, page: page) }
        return values.count
    }

    private mutating func recordFreeList(_ value: [UInt8], name: String, page: UInt64, key: [UInt8]) {
        guard value.count >= 8, value.count % 8 == 0, LittleEndian.u64(value, 0) == UInt64(value.count / 8 - 1) else {
            report(name, page, key, "holds a free-page list of \(value.count) bytes that does not match its count")
            return
        }
        for index in 1..<(value.count / 8) { freeLists.append((LittleEndian.u64(value, index * 8), key)) }
    }

    /// Keys must rise strictly (LMDB compares bytes, a shorter key first) and stay within
    /// the bounds the parent set: at or after its separator, before the next one. A branch
    /// page's first key is empty and stands for its lower bound.
    private mutating func checkOrder(_ keys: [[UInt8]], skipFirst: Bool, bounds: (low: [UInt8]?, high: [UInt8]?), name: String, page: UInt64) {
        let checked = skipFirst ? Array(keys.dropFirst()) : keys
        var previous = bounds.low
        for (index, key) in checked.enumerated() {
            if let previous {
                let inOrder = index == 0 ? !key.lexicographicallyPrecedes(previous) : previous.lexicographicallyPrecedes(key)
                guard inOrder else {
                    report(name, page, key, "keys are out of order")
                    return
                }
            }
            previous = key
        }
        if let high = bounds.high, let last = checked.last, !last.lexicographicallyPrecedes(high) {
            report(name, page, last, "a key lies beyond the range its parent gives the page")
        }
    }

    // MARK: Bookkeeping

    private mutating func markUsed(_ page: UInt64) -> Bool {
        let index = Int(page / 64)
        guard index < used.count else { return true }
        let bit = UInt64(1) << (page % 64)
        if used[index] & bit != 0 { return false }
        used[index] |= bit
        return true
    }

    private func isUsed(_ page: UInt64) -> Bool {
        let index = Int(page / 64)
        return index < used.count && used[index] & (UInt64(1) << (page % 64)) != 0
    }

    private mutating func report(_ database: String, _ page: UInt64?, _ key: [UInt8]?, _ detail: String) {
        guard problems.count < limit else { return }
        problems.append(StructureProblem(database: database, page: page, key: key, detail: detail))
    }
}
