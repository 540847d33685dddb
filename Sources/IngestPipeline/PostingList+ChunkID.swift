extension PostingList {
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
}
