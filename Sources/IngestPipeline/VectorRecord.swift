/// A stored vector: which embedder made it, and its floats.
///
/// Both layouts begin with the layout byte, the embedder's name (u64 length, then UTF-8) and
/// the number of values (u64), all big-endian; then
/// - layout 1, raw: the values as float32, little-endian;
/// - layout 2, palette: the number of distinct values p (u16, 1...256), those values as
///   float32 little-endian in the order of their first use, and one index into them per
///   value, of 1, 2, 4 or 8 bits (the fewest that tell p values apart), packed from each
///   byte's low bits up.
///
/// Values are kept by bit pattern, so both layouts give back exactly the floats written,
/// signed zeros and NaN payloads included: search, export and verify cannot tell them apart.
/// The encoder writes the palette when it is shorter. The hashing embedder's values are
/// multiples of one half scaled to unit length, 9 to 20 distinct ones in a 256-value
/// vector, so its records take about 230 bytes instead of 1,052 and LMDB fits 16 of them to
/// a 4 KiB page instead of 3. Vectors were the largest part of a store, so this cuts what a
/// run writes to the disk. A model's vectors (from `exec:`) have distinct values and stay
/// raw.
struct VectorRecord: Equatable {
    static let rawLayout: UInt8 = 1
    static let paletteLayout: UInt8 = 2
    /// The largest dimension a stored vector may have.
    static let maxDimension = 65_536
    /// The most distinct values a palette holds: an index is at most one byte.
    static let maxPalette = 256
    /// The encoder's lookup table: twice the largest palette, so probes stay short.
    private static let lookupBits = 9
    private static let lookupSlots = 1 << lookupBits

    var embedder: String
    var values: [Float]

    init(embedder: String, values: [Float]) {
        self.embedder = embedder
        self.values = values
    }

    /// The record in the shorter of the two layouts.
    func encoded() -> [UInt8] {
        encodedWithPalette() ?? encodedRaw()
    }

    /// The record in layout 1, the only one builds before schema version 4 read.
    func encodedRaw() -> [UInt8] {
        var bytes = header(layout: Self.rawLayout, extra: values.count * 4)
        Self.appendFloats(values.count, to: &bytes) { values[$0].bitPattern }
        return bytes
    }

    /// The record in layout 2, or `nil` when the palette would not be shorter.
    private func encodedWithPalette() -> [UInt8]? {
        let count = values.count
        guard count > 1 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.maxPalette) { palette -> [UInt8]? in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { slots -> [UInt8]? in
                guard let entries = indexValues(palette: palette, slots: slots) else { return nil }
                let width = Self.indexWidth(entries: entries)
                let indexBytes = (count * width + 7) / 8
                guard 2 + entries * 4 + indexBytes < count * 4 else { return nil }

                var bytes = header(layout: Self.paletteLayout, extra: 2 + entries * 4 + indexBytes)
                bytes.append(UInt8(truncatingIfNeeded: entries >> 8))
                bytes.append(UInt8(truncatingIfNeeded: entries))
                Self.appendFloats(entries, to: &bytes) { palette[$0] }
                let start = bytes.count
                bytes.append(contentsOf: repeatElement(0, count: indexBytes))
                // Widths are powers of two, so a value's byte and place in it are shifts and masks.
                let perByteBits = (8 / width).trailingZeroBitCount
                let place = 8 / width - 1
                for position in 0..<count {
                    bytes[start + position >> perByteBits] |= slots[position] << ((position & place) * width)
                }
                return bytes
            }
        }
    }

    /// Fills `palette` with the distinct bit patterns of `values` in the order of their first
    /// use, and `slots` with each value's index in it.
    /// - Returns: The palette's size, or `nil` when the values outgrow `maxPalette`.
    private func indexValues(palette: UnsafeMutableBufferPointer<UInt32>, slots: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        // Values are found through a small open-addressing table (palette index + 1, 0 when
        // free), at most half full: a linear search of the palette was the embed workers'
        // largest cost, 5.5% of a run's samples.
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: Self.lookupSlots) { lookup -> Int? in
            lookup.initialize(repeating: 0)
            var entries = 0
            for (position, value) in values.enumerated() {
                let bits = value.bitPattern
                var probe = Int(truncatingIfNeeded: (bits &* 0x9E37_79B1) >> (32 - Self.lookupBits))
                while lookup[probe] != 0, palette[Int(lookup[probe]) - 1] != bits { probe = (probe + 1) & (Self.lookupSlots - 1) }
                if lookup[probe] == 0 {
                    guard entries < Self.maxPalette else { return nil }
                    palette[entries] = bits
                    entries += 1
                    lookup[probe] = UInt16(truncatingIfNeeded: entries)
                }
                slots[position] = UInt8(truncatingIfNeeded: Int(lookup[probe]) - 1)
            }
            return entries
        }
    }

    private func header(layout: UInt8, extra: Int) -> [UInt8] {
        var bytes: [UInt8] = [layout]
        bytes.reserveCapacity(1 + 8 + embedder.utf8.count + 8 + extra)
        appendString(embedder, to: &bytes)
        appendUInt64(UInt64(values.count), to: &bytes)
        return bytes
    }

    /// Appends `count` float32 bit patterns, little-endian, stored straight into place: one
    /// append per float was a tenth of an embed worker's time.
    private static func appendFloats(_ count: Int, to bytes: inout [UInt8], _ bits: (Int) -> UInt32) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count * 4))
        bytes.withUnsafeMutableBytes { raw in
            for index in 0..<count {
                raw.storeBytes(of: bits(index).littleEndian, toByteOffset: start + index * 4, as: UInt32.self)
            }
        }
    }

    /// Bits per palette index: the fewest of 1, 2, 4 and 8 that tell `entries` values apart.
    static func indexWidth(entries: Int) -> Int {
        switch entries {
        case ...2: 1
        case ...4: 2
        case ...16: 4
        default: 8
        }
    }

    init?(decoding bytes: some Collection<UInt8>) {
        let decoded = Array(bytes).withUnsafeBytes { raw -> VectorRecord? in
            guard let layout = Self.layout(of: raw) else { return nil }
            var values: [Float] = []
            guard layout.values(of: raw, into: &values) else { return nil }
            return VectorRecord(embedder: layout.embedder, values: values)
        }
        guard let decoded else { return nil }
        self = decoded
    }

    /// The raw float bytes, little-endian, for the export's vector hash: the same whichever
    /// layout the record is stored in.
    var valueBytes: [UInt8] {
        var bytes: [UInt8] = []
        Self.appendFloats(values.count, to: &bytes) { values[$0].bitPattern }
        return bytes
    }
}

extension VectorRecord {
    /// Where an encoded record's parts lie, read in place without copying it.
    struct Layout {
        /// The embedder that made the vector.
        let embedder: String
        /// The number of values.
        let count: Int
        /// Raw: where the floats start. Palette: where the palette starts.
        fileprivate let floatsAt: Int
        /// The palette's entries; 0 in the raw layout.
        fileprivate let paletteEntries: Int
        fileprivate let indexWidth: Int
        fileprivate let indicesAt: Int

        /// Replaces `values` with the record's floats, keeping its storage so that a scan
        /// over every vector allocates once.
        /// - Returns: `false` when an index points past the palette (damage).
        func values(of bytes: UnsafeRawBufferPointer, into values: inout [Float]) -> Bool {
            if values.count != count { values = [Float](repeating: 0, count: count) }
            // Written in place, byte by byte of indices: appending, and dividing per value to
            // find its byte, were most of a vector search.
            return values.withUnsafeMutableBufferPointer { out in
                func float(at offset: Int) -> Float {
                    Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                }
                guard paletteEntries > 0 else {
                    for index in 0..<count { out[index] = float(at: floatsAt + index * 4) }
                    return true
                }
                let mask = UInt8(truncatingIfNeeded: (1 << indexWidth) - 1)
                let shift = UInt8(indexWidth)
                let perByte = 8 / indexWidth
                var index = 0
                var byteAt = indicesAt
                while index < count {
                    var byte = bytes[byteAt]
                    byteAt += 1
                    let end = min(index + perByte, count)
                    while index < end {
                        let slot = Int(byte & mask)
                        guard slot < paletteEntries else { return false }
                        out[index] = float(at: floatsAt + slot * 4)
                        byte >>= shift
                        index += 1
                    }
                }
                return true
            }
        }
    }

    /// The layout of an encoded record; `nil` when its sizes do not add up.
    static func layout(of bytes: UnsafeRawBufferPointer) -> Layout? {
        layout(of: bytes) { String(validating: $0, as: UTF8.self) }
    }

    /// The layout of an encoded record, its embedder named by `name` from the name's bytes
    /// (`nil`: not a name). A scan over every vector passes one that remembers the last
    /// name: making a `String` of each record's bytes was a tenth of a vector search.
    static func layout(of bytes: UnsafeRawBufferPointer, naming name: (UnsafeRawBufferPointer) -> String?) -> Layout? {
        // One load, not `BigEndian.value`'s byte loop: vector search reads a layout per
        // stored vector, and the loop was 4% of a search.
        func u64(_ at: Int) -> UInt64? {
            guard at >= 0, at + 8 <= bytes.count else { return nil }
            return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        guard let kind = bytes.first, kind == rawLayout || kind == paletteLayout,
            let length = u64(1), length <= UInt64(bytes.count)
        else { return nil }
        let nameEnd = 9 + Int(length)
        guard let count64 = u64(nameEnd), count64 <= UInt64(maxDimension),
            let embedder = name(UnsafeRawBufferPointer(rebasing: bytes[9..<nameEnd]))
        else { return nil }
        let count = Int(count64)
        let body = nameEnd + 8
        if kind == rawLayout {
            guard body + count * 4 == bytes.count else { return nil }
            return Layout(embedder: embedder, count: count, floatsAt: body, paletteEntries: 0, indexWidth: 0, indicesAt: bytes.count)
        }
        guard body + 2 <= bytes.count else { return nil }
        let entries = Int(bytes[body]) << 8 | Int(bytes[body + 1])
        let width = indexWidth(entries: entries)
        let indicesAt = body + 2 + entries * 4
        guard (1...maxPalette).contains(entries), indicesAt + (count * width + 7) / 8 == bytes.count else { return nil }
        return Layout(embedder: embedder, count: count, floatsAt: body + 2, paletteEntries: entries, indexWidth: width, indicesAt: indicesAt)
    }
}
