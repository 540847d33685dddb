internal import Crypto

/// SHA-256, computed incrementally: the pipeline's content hashes (change detection of
/// files, chunk ids, the export's checksums), not security decisions.
///
/// The hashing itself is swift-crypto's (BoringSSL's code underneath), which uses the
/// CPU's SHA instructions where it has them: on the benchmark machine it hashes 1.8 GB/s,
/// where the Swift implementation this type carried before managed 0.27 GB/s — and every
/// file is hashed twice, by the load phase and again by the chunk phase (BENCHMARKS.md).
/// This type keeps the pipeline's own small interface in front of it: byte arrays and hex.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(Array("abc".utf8))
/// let hex = SHA256.hex(hasher.finalize())   // "ba7816bf…"
/// ```
public struct SHA256: Sendable {
    /// The length of a digest in bytes.
    public static let digestByteCount = 32

    private var hasher = Crypto.SHA256()

    /// Starts a new, empty hash.
    public init() {}

    /// Hashes `bytes` in one go.
    /// - Parameter bytes: The message.
    /// - Returns: The 32-byte digest.
    public static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Hashes `bytes` in one go and spells the digest in lowercase hex.
    /// - Parameter bytes: The message.
    /// - Returns: 64 lowercase hex digits.
    public static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        hex(digest(bytes))
    }

    /// Spells bytes in lowercase hex, two digits each.
    /// - Parameter bytes: Any bytes, usually a digest.
    /// - Returns: The hex string.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Feeds more of the message.
    /// - Parameter bytes: The next bytes of the message, in order.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if handled == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Feeds more of the message from raw memory.
    /// - Parameter buffer: The next bytes of the message, in order.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard !buffer.isEmpty else { return }
        hasher.update(bufferPointer: buffer)
    }

    /// Returns the message's digest; the hasher is spent afterwards.
    /// - Returns: The 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }
}
