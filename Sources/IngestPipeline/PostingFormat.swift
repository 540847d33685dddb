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
