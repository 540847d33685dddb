/// Decoding one Unicode scalar from UTF-8 bytes, shared by the tokenizer and the chunker,
/// which both walk raw bytes for speed.
enum UTF8Scalars {
    /// Decodes the scalar whose first byte is at `i` (ASCII included).
    /// - Returns: The scalar, or `nil` for a malformed or truncated sequence, and how many
    ///   bytes to step over (at least 1).
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar?, Int) {
        let lead = bytes[i]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let width: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: width = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: width = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: width = 4; value = UInt32(lead & 0x07)
        default: return (nil, 1)
        }
        guard i + width <= bytes.count else { return (nil, 1) }
        for k in 1..<width {
            let next = bytes[i + k]
            guard next & 0xC0 == 0x80 else { return (nil, k) }
            value = value << 6 | UInt32(next & 0x3F)
        }
        return (Unicode.Scalar(value), width)
    }
}
