/// A byte string as a dictionary key, hashed in one call over its bytes.
///
/// `[UInt8]`'s own `Hashable` feeds the hasher one byte at a time; the index phase hashes
/// every token of every chunk, and that per-byte feeding was a tenth of its commit time.
struct HashedBytes: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    init(_ bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
