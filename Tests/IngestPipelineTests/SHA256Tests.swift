import IngestPipeline
import Testing

/// SHA-256 against the FIPS 180-4 examples and lengths around the padding boundaries.
struct SHA256Tests {
    /// FIPS 180-4 / NIST CSHS example messages.
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ]

    @Test(arguments: 0..<vectors.count)
    func fipsVector(_ index: Int) {
        let (message, digest) = Self.vectors[index]
        #expect(SHA256.hexDigest(Array(message.utf8)) == digest)
    }

    @Test func oneMillionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1_000_000)) == expected)

        // The same message fed in uneven pieces.
        var hasher = SHA256()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let count = min(piece, 1_000_000 - fed)
            hasher.update([UInt8](repeating: 0x61, count: count))
            fed += count
            piece = piece * 7 % 997 + 1
        }
        #expect(SHA256.hex(hasher.finalize()) == expected)
    }

    /// Lengths where the padding spills into an extra block (55 | 56) or fills one exactly.
    @Test(arguments: [
        (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"),
        (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
        (128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"),
    ])
    func paddingBoundary(_ length: Int, _ digest: String) {
        let message = [UInt8](repeating: 0x61, count: length)
        #expect(SHA256.hexDigest(message) == digest)
        // Byte by byte gives the same digest as all at once.
        var hasher = SHA256()
        for byte in message { hasher.update([byte]) }
        #expect(SHA256.hex(hasher.finalize()) == digest)
    }

    /// Negative control: one changed bit changes the digest, so the checks above can fail.
    @Test func oneBitChangesTheDigest() {
        var message = Array("abc".utf8)
        message[2] ^= 0x01
        #expect(SHA256.hexDigest(message) != Self.vectors[1].digest)
        #expect(SHA256.digest(Array("abc".utf8)).count == SHA256.digestByteCount)
    }

    @Test func hexSpelling() {
        #expect(SHA256.hex([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
    }
}
