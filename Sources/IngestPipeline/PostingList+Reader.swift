extension PostingList {
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
                // The first posting (right after the version byte) has nothing to share.
                let isFirst = offset == 1
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
}
