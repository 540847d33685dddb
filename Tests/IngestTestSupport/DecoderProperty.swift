/// What feeding a decoder its own encodings and their mutations showed.
public struct DecoderReport: Sendable {
    /// Seeds that did not decode, or did not encode back to their own bytes.
    public var badSeeds: [[UInt8]] = []
    /// Mutations that decoded to a value whose encoding does not decode to the same encoding.
    public var unstable: [[UInt8]] = []
    /// Mutations that decoded, and that were refused.
    public var decoded = 0
    public var refused = 0
}

/// The property every record decoder must have: on any bytes it returns a value or refuses
/// them — it never traps, which would end the test process — and a value it returns is one
/// its encoder writes (encode → decode → encode gives the same bytes).
public enum DecoderProperty {
    public static func check<Value>(
        seeds: [[UInt8]], mutations: Int = 2000, seed: UInt64 = 0x5EED,
        decode: ([UInt8]) -> Value?, encode: (Value) -> [UInt8]
    ) -> DecoderReport {
        var report = DecoderReport()
        for bytes in seeds where decode(bytes).map(encode) != bytes {
            report.badSeeds.append(bytes)
        }
        for bytes in ByteMutations.variants(of: seeds, count: mutations, seed: seed) {
            guard let value = decode(bytes) else {
                report.refused += 1
                continue
            }
            report.decoded += 1
            let encoded = encode(value)
            if decode(encoded).map(encode) != encoded { report.unstable.append(bytes) }
        }
        return report
    }
}
