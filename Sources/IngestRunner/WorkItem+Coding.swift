extension WorkItem {
    /// The bytes of a queue entry: u32 key length (big-endian), key, payload.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + key.count + payload.count)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: key.count).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: key)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Decodes a queue entry; `nil` when the bytes are not one.
    init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 4 else { return nil }
        let length = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard bytes.count - 4 >= length else { return nil }
        self.init(key: Array(bytes[4..<(4 + length)]), payload: Array(bytes[(4 + length)...]))
    }
}
