/// How a segment's posting lists are packed; the segment registry records it per segment.
enum PostingFormat: UInt8, Sendable {
    /// `chunk id (16) · term frequency (u32 big-endian)` per posting, no version byte:
    /// segments written before schema version 2. They are read as they are and rewritten in
    /// the prefixed form when merged.
    case fixed = 1
    /// A version byte (2), then per posting: how many leading bytes its chunk id shares with
    /// the previous posting's (one byte; 0 for the first), the id's other bytes, and the
    /// term frequency as LEB128. Chunk ids of one document differ only in their last byte or
    /// two, so a posting takes 3–7 bytes instead of 20: the index, its merges and its disk
    /// writes shrink about fourfold.
    case prefixed = 2
}

/// Posting lists as bytes — sorted by chunk id, each chunk once — read and written without
/// an array per posting.
enum PostingList {
    static let chunkBytes = 16
    /// A `.fixed` posting's size.
    static let fixedStride = 20

    /// A chunk id as two big-endian words: compared as numbers, it orders like its bytes.
    struct ChunkID: Hashable, Comparable, Sendable {
        var high: UInt64
        var low: UInt64

        init(high: UInt64 = 0, low: UInt64 = 0) {
            self.high = high
            self.low = low
        }

        /// The id in the first 16 bytes of `bytes` (which must hold them).
        init(_ bytes: UnsafeRawBufferPointer) {
            high = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
            low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }

        /// `nil` unless `bytes` is exactly 16 bytes.
        init?(_ bytes: [UInt8]) {
            guard bytes.count == PostingList.chunkBytes else { return nil }
            self = bytes.withUnsafeBytes { ChunkID($0) }
        }

        static func < (left: ChunkID, right: ChunkID) -> Bool {
            left.high != right.high ? left.high < right.high : left.low < right.low
        }

        /// How many leading bytes the two ids share (16 when equal).
        func sharedPrefix(with other: ChunkID) -> Int {
            let highDifference = high ^ other.high
            if highDifference != 0 { return highDifference.leadingZeroBitCount / 8 }
            return 8 + (low ^ other.low).leadingZeroBitCount / 8
        }

        /// Calls `body` with the id's 16 bytes.
        func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
            var words = (high.bigEndian, low.bigEndian)
            return try withUnsafeBytes(of: &words) { try body($0) }
        }

        var bytes: [UInt8] { withBytes { Array($0) } }
    }

    /// Reads a list's postings in order. It stops at the first posting it cannot read — a
    /// damaged list yields the postings before the damage — and says so in `isDamaged`.
    struct Reader {
        private let bytes: UnsafeRawBufferPointer
        private let format: PostingFormat
        private var offset: Int
        /// The posting `next()` read last.
        private(set) var chunk = ChunkID()
        private(set) var frequency: UInt32 = 0
        /// Whether reading stopped before the end of the bytes.
        private(set) var isDamaged = false
        /// Whether the last `next()` read a posting.
        private(set) var hasPosting = false
        private var isFirst = true

        init(_ bytes: UnsafeRawBufferPointer, format: PostingFormat) {
            self.bytes = bytes
            self.format = format
            switch format {
            case .fixed:
                offset = 0
            case .prefixed:
                offset = 1
                if bytes.first != PostingFormat.prefixed.rawValue { isDamaged = true }
            }
        }

        /// Moves to the next posting; `false` at the end or at damage.
        mutating func next() -> Bool {
            hasPosting = read()
            return hasPosting
        }

        private mutating func read() -> Bool {
            guard !isDamaged, offset < bytes.count else { return false }
            switch format {
            case .fixed:
                guard offset + fixedStride <= bytes.count else {
                    isDamaged = true
                    return false
                }
                chunk = ChunkID(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + chunkBytes)]))
                frequency = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + chunkBytes, as: UInt32.self))
                offset += fixedStride
            case .prefixed:
                let shared = Int(bytes[offset])
                let end = offset + 1 + chunkBytes - shared
                guard shared <= chunkBytes, !(isFirst && shared != 0), end <= bytes.count else {
                    isDamaged = true
                    return false
                }
                var high = Self.leading(chunk.high, bytes: shared)
                var low = Self.leading(chunk.low, bytes: shared - 8)
                for index in shared..<chunkBytes {
                    let byte = UInt64(bytes[offset + 1 + index - shared])
                    if index < 8 { high |= byte << (56 - 8 * index) } else { low |= byte << (120 - 8 * index) }
                }
                offset = end
                guard let (value, length) = Self.leb128(bytes, at: offset) else {
                    isDamaged = true
                    return false
                }
                chunk = ChunkID(high: high, low: low)
                frequency = value
                offset += length
            }
            isFirst = false
            return true
        }

        /// `word`'s first `count` bytes (all of it from 8, none from 0 down), the rest zero.
        private static func leading(_ word: UInt64, bytes count: Int) -> UInt64 {
            if count <= 0 { return 0 }
            if count >= 8 { return word }
            return word & ~(UInt64.max >> (8 * count))
        }

        /// A LEB128 u32 at `offset` and its length; `nil` when cut off or over 32 bits.
        private static func leb128(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (UInt32, Int)? {
            var value: UInt64 = 0
            var index = offset
            while index < bytes.count, index - offset < 5 {
                let byte = bytes[index]
                value |= UInt64(byte & 0x7F) << (7 * (index - offset))
                index += 1
                if byte & 0x80 == 0 { return value <= UInt64(UInt32.max) ? (UInt32(value), index - offset) : nil }
            }
            return nil
        }
    }

    /// Writes a list in the `.prefixed` form; postings must come in ascending chunk order.
    struct Writer {
        private(set) var bytes: [UInt8] = [PostingFormat.prefixed.rawValue]
        private var last = ChunkID()
        private(set) var count = 0

        init(reservingPostings capacity: Int = 0) {
            bytes.reserveCapacity(1 + capacity * 6)
        }

        var isEmpty: Bool { count == 0 }

        mutating func append(_ chunk: ChunkID, frequency: UInt32) {
            let shared = count == 0 ? 0 : chunk.sharedPrefix(with: last)
            bytes.append(UInt8(shared))
            chunk.withBytes { id in bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: id[shared...])) }
            var value = frequency
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
            last = chunk
            count += 1
        }

        /// Empties the list, keeping its buffer.
        mutating func removeAll() {
            bytes.removeAll(keepingCapacity: true)
            bytes.append(PostingFormat.prefixed.rawValue)
            count = 0
        }
    }

    /// One `.prefixed` list from `lists` (oldest first, each in its own format): every chunk
    /// once, the newest list's posting where several list it, and only chunks `exists` keeps.
    /// A damaged list contributes the postings before its damage.
    static func merge(
        _ lists: [(bytes: [UInt8], format: PostingFormat)], into writer: inout Writer,
        exists: (ChunkID) throws -> Bool
    ) rethrows {
        writer.removeAll()
        try withReaders(lists) { readers in
            for index in readers.indices { _ = readers[index].next() }
            while true {
                // The smallest chunk; on a tie the newest list (the highest index) wins.
                var smallest = -1
                for index in readers.indices where readers[index].hasPosting {
                    if smallest < 0 || readers[index].chunk <= readers[smallest].chunk { smallest = index }
                }
                guard smallest >= 0 else { return }
                let chunk = readers[smallest].chunk
                if try exists(chunk) { writer.append(chunk, frequency: readers[smallest].frequency) }
                for index in readers.indices where readers[index].hasPosting && readers[index].chunk == chunk {
                    _ = readers[index].next()
                }
            }
        }
    }

    /// Readers over `lists`, valid inside `body`.
    private static func withReaders<Result>(
        _ lists: [(bytes: [UInt8], format: PostingFormat)], _ body: (inout [Reader]) throws -> Result
    ) rethrows -> Result {
        func open(_ index: Int, _ readers: inout [Reader]) throws -> Result {
            guard index < lists.count else { return try body(&readers) }
            return try lists[index].bytes.withUnsafeBytes { buffer in
                readers.append(Reader(buffer, format: lists[index].format))
                return try open(index + 1, &readers)
            }
        }
        var readers: [Reader] = []
        readers.reserveCapacity(lists.count)
        return try open(0, &readers)
    }
}
