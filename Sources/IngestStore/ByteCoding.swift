/// Appends the fields of a record in the store's binary layout: integers big-endian,
/// strings and byte strings with a 32-bit length prefix.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: Double) { write(value.bitPattern) }

    mutating func write(_ value: Bool) { write(value ? 1 as UInt8 : 0) }

    mutating func write(bytes value: some Collection<UInt8>) {
        write(UInt32(truncatingIfNeeded: value.count))
        bytes.append(contentsOf: value)
    }

    mutating func write(_ value: String) { write(bytes: value.utf8) }

    mutating func write(optional value: String?) {
        write(value != nil)
        if let value { write(value) }
    }
}

/// Reads fields written by `ByteWriter`, throwing instead of trapping on short or
/// malformed input: a damaged record must never crash the tool.
struct ByteReader {
    private let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var isAtEnd: Bool { offset == buffer.count }

    private mutating func take(_ count: Int) throws(RecordError) -> UnsafeRawBufferPointer {
        guard count >= 0, buffer.count - offset >= count else { throw RecordError.truncated(at: offset) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }

    mutating func readByte() throws(RecordError) -> UInt8 { try take(1)[0] }

    mutating func readUInt32() throws(RecordError) -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readUInt64() throws(RecordError) -> UInt64 {
        try take(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func readDouble() throws(RecordError) -> Double { Double(bitPattern: try readUInt64()) }

    mutating func readBool() throws(RecordError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other: throw RecordError.badValue("flag byte \(other)", at: offset - 1)
        }
    }

    mutating func readBytes() throws(RecordError) -> [UInt8] {
        let count = Int(try readUInt32())
        return Array(try take(count))
    }

    mutating func readString() throws(RecordError) -> String {
        let start = offset
        let count = Int(try readUInt32())
        guard let text = String(validating: try take(count), as: UTF8.self) else {
            throw RecordError.badValue("text that is not UTF-8", at: start)
        }
        return text
    }

    mutating func readOptionalString() throws(RecordError) -> String? {
        try readBool() ? try readString() : nil
    }

    func expectEnd() throws(RecordError) {
        guard isAtEnd else { throw RecordError.badValue("\(buffer.count - offset) trailing bytes", at: offset) }
    }
}

/// A stored record that cannot be decoded: the store is damaged or was written by
/// something else.
struct RecordError: Error, Sendable, CustomStringConvertible {
    let detail: String

    static func truncated(at offset: Int) -> RecordError {
        RecordError(detail: "record ends early at byte \(offset)")
    }

    static func badValue(_ what: String, at offset: Int) -> RecordError {
        RecordError(detail: "\(what) at byte \(offset)")
    }

    static func unknownVersion(_ version: UInt8) -> RecordError {
        RecordError(detail: "record version \(version) is not one this build knows")
    }

    var description: String { detail }
}
