/// SplitMix64: a small seeded generator, so that a property test sees the same inputs on
/// every run and a failure can be replayed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Byte strings a decoder must survive, made from valid encodings the way damage and
/// fuzzers make them: every truncation, bit flips, length and count fields set to extreme
/// values, inserted and deleted bytes, splices of two encodings, and plain random bytes.
public enum ByteMutations {
    /// Values written over a 4- or 8-byte window: where a length or a count sits, they make
    /// it zero, one, off by one from the real length, or as large as the field allows.
    private static let extremes: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, .max]

    /// All truncations of every seed, then `count` random mutations of them.
    public static func variants(of seeds: [[UInt8]], count: Int, seed: UInt64) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        var result: [[UInt8]] = []
        for bytes in seeds {
            for length in 0..<bytes.count { result.append(Array(bytes.prefix(length))) }
        }
        guard !seeds.isEmpty else { return result }
        for _ in 0..<count {
            let base = seeds.randomElement(using: &generator) ?? []
            result.append(mutate(base, seeds: seeds, using: &generator))
        }
        return result
    }

    private static func mutate(_ base: [UInt8], seeds: [[UInt8]], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = base
        switch Int.random(in: 0..<6, using: &generator) {
        case 0 where !bytes.isEmpty:
            for _ in 0...Int.random(in: 0..<3, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            }
        case 1 where !bytes.isEmpty:
            let width = Bool.random(using: &generator) ? 4 : 8
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            let realLength = UInt64(max(0, bytes.count - start - width))
            let value = Bool.random(using: &generator)
                ? extremes.randomElement(using: &generator) ?? 0
                : realLength &+ UInt64.random(in: 0...2, using: &generator) &- 1
            for offset in 0..<width where start + offset < bytes.count {
                bytes[start + offset] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(width - 1 - offset)))
            }
        case 2:
            let index = Int.random(in: 0...bytes.count, using: &generator)
            bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: index)
        case 3 where !bytes.isEmpty:
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...8, using: &generator)))
        case 4:
            let other = seeds.randomElement(using: &generator) ?? []
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
                + other.suffix(Int.random(in: 0...other.count, using: &generator))
        default:
            bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        return bytes
    }
}
