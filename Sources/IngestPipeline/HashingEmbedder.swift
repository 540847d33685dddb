/// The built-in embedder: deterministic feature hashing, with no model to download.
///
/// For a text, the vector is built from the tokens of ``Tokenizer``:
/// - each token adds `sign × 1.0` to bucket `h % dimension`, where `h` is the 64-bit
///   FNV-1a hash of the token's UTF-8 bytes and `sign` is −1 when bit 63 of `h` is set,
///   +1 otherwise;
/// - each pair of adjacent tokens `a`, `b` adds `sign × 0.5` the same way, with `h` the
///   FNV-1a hash of the byte 0xFF, the UTF-8 of `a`, a space (0x20) and the UTF-8 of `b`.
///   0xFF never occurs in UTF-8, so a bigram never hashes the same bytes as a token;
/// - the sum is scaled to unit L2 norm; a text with no tokens gives the zero vector.
///
/// The sums are exact in `Float` (multiples of 0.5), and the norm is computed in `Double`
/// in a fixed order, so a text gives bit-identical vectors on every call and platform.
/// Words are matched exactly, never by meaning: texts that share words and word pairs
/// come out close, paraphrases do not.
public struct HashingEmbedder: Embedder {
    /// The dimensions accepted.
    public static let dimensions: ClosedRange<Int> = 8...4096

    /// The length of every vector.
    public let dimension: Int

    /// `hashing-<dimension>`, e.g. `hashing-256`.
    public var identity: String { "hashing-\(dimension)" }

    /// Makes a hashing embedder.
    ///
    /// - Parameter dimension: The vector length, 8 through 4096.
    /// - Throws: `HashingEmbedderError` when `dimension` is out of range.
    public init(dimension: Int = 256) throws(HashingEmbedderError) {
        guard Self.dimensions.contains(dimension) else { throw HashingEmbedderError(dimension: dimension) }
        self.dimension = dimension
    }

    /// Remakes the embedder an ``identity`` describes, as a resumed job needs.
    ///
    /// - Parameter identity: A string such as `hashing-256`.
    /// - Returns: `nil` when `identity` is not `hashing-` and a dimension in range.
    public init?(identity: String) {
        guard identity.hasPrefix("hashing-"),
            let dimension = Int(identity.dropFirst("hashing-".count)),
            String(dimension) == identity.dropFirst("hashing-".count),
            Self.dimensions.contains(dimension)
        else { return nil }
        self.dimension = dimension
    }

    /// Embeds a batch of texts; never fails.
    ///
    /// - Parameter texts: The texts to embed.
    /// - Returns: One unit-length (or zero) vector of `dimension` floats per text, in order.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map(vector(for:))
    }

    /// The vector for one text.
    ///
    /// - Parameter text: The text to embed.
    /// - Returns: `dimension` floats of unit L2 norm, or all zeros when `text` has no tokens.
    public func vector(for text: String) -> [Float] {
        let buckets = UInt64(dimension)
        var vector = [Float](repeating: 0, count: dimension)
        vector.withUnsafeMutableBufferPointer { v in
            var bigramPrefix: UInt64? = nil  // FNV state after 0xFF, the previous token, " "
            Tokenizer.forEachToken(in: text) { token in
                let unigram = FNV1a.hash(token, from: FNV1a.offsetBasis)
                v[Int(unigram % buckets)] += unigram >> 63 == 0 ? 1.0 : -1.0
                if let prefix = bigramPrefix {
                    let bigram = FNV1a.hash(token, from: prefix)
                    v[Int(bigram % buckets)] += bigram >> 63 == 0 ? 0.5 : -0.5
                }
                var prefix = FNV1a.hash(0xFF, from: FNV1a.offsetBasis)
                prefix = FNV1a.hash(token, from: prefix)
                bigramPrefix = FNV1a.hash(0x20, from: prefix)
            }
            var sumOfSquares = 0.0
            for x in v { sumOfSquares += Double(x) * Double(x) }
            guard sumOfSquares > 0 else { return }
            let norm = squareRoot(sumOfSquares)
            for i in v.indices { v[i] = Float(Double(v[i]) / norm) }
        }
        return vector
    }

    /// The cosine of the angle between two vectors of the same length.
    ///
    /// - Parameters:
    ///   - a: A vector.
    ///   - b: A vector as long as `a`.
    /// - Returns: A value in −1…1; 0 when either vector is all zeros, and 0 when their
    ///   lengths differ (vectors from different embedders are not comparable).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        b.withUnsafeBufferPointer { cosine(a, length: length(a), $0) }
    }

    /// `a`'s length (the square root of its sum of squares, summed in `Double`), as
    /// `cosine` computes it.
    static func length(_ a: [Float]) -> Double {
        var sumOfSquares = 0.0
        for x in a { sumOfSquares += Double(x) * Double(x) }
        return squareRoot(sumOfSquares)
    }

    /// `cosine(a, b)` with `a`'s length given, for a query compared with every stored
    /// vector. The sums are the same ones, in the same order, so the result is the same to
    /// the bit.
    static func cosine(_ a: [Float], length lengthA: Double, _ b: UnsafeBufferPointer<Float>) -> Float {
        guard a.count == b.count else { return 0 }
        var dot = 0.0
        var normB = 0.0
        for i in a.indices {
            let y = Double(b[i])
            dot += Double(a[i]) * y
            normB += y * y
        }
        guard lengthA > 0, normB > 0 else { return 0 }
        return Float(min(1, max(-1, dot / (lengthA * squareRoot(normB)))))
    }
}

/// A hashing embedder dimension out of range.
public struct HashingEmbedderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dimension that was refused.
    public let dimension: Int

    public var description: String {
        "hashing embedder dimension \(dimension) is out of range; "
            + "use \(HashingEmbedder.dimensions.lowerBound) to \(HashingEmbedder.dimensions.upperBound) (default 256)"
    }
}

/// 64-bit FNV-1a.
private enum FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always)
    static func hash(_ byte: UInt8, from state: UInt64) -> UInt64 {
        (state ^ UInt64(byte)) &* prime
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, from state: UInt64) -> UInt64 {
        var state = state
        for byte in bytes { state = (state ^ UInt64(byte)) &* prime }
        return state
    }
}

/// The square root of `x` (0 for `x <= 0`), by Newton's method in plain IEEE arithmetic.
///
/// `Double.squareRoot()` calls the C library's `sqrt` on Linux, which an executable that
/// links neither Foundation nor Glibc cannot resolve; this keeps the module free of libm.
/// The fixed number of steps makes the result the same on every platform.
func squareRoot(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return x.isFinite ? 0 : x }
    // Within a factor of 2 of the root, so each step at least squares the relative error.
    var y = Double(sign: .plus, exponent: x.exponent / 2, significand: 1)
    for _ in 0..<8 { y = 0.5 * (y + x / y) }
    return y
}
