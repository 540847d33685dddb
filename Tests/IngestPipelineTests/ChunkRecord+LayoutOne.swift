@testable import IngestPipeline

extension ChunkRecord {
    /// The record as builds before schema version 3 wrote it (layout 1): the token count and
    /// whether the index counted the chunk sit between the ordinal and the text.
    func encodedInLayoutOne(tokenCount: UInt32, indexed: Bool) -> [UInt8] {
        func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        return [1] + collection + u64(UInt64(relativePath.utf8.count)) + Array(relativePath.utf8)
            + u64(UInt64(ordinal)) + u64(UInt64(tokenCount)) + [indexed ? 1 : 0]
            + u64(UInt64(text.utf8.count)) + Array(text.utf8)
    }
}
