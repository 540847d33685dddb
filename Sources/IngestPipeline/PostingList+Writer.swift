extension PostingList {
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
}
