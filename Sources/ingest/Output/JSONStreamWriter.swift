import Foundation
import IngestCore

/// Writes JSON text straight into a byte buffer that is flushed to stdout in 64 KiB pieces,
/// for outputs too large to build as a value tree first (`ingest list --json` of 100k jobs).
/// The caller writes keys in sorted order, so the output matches `JSONEncoder`'s sorted keys.
struct JSONStreamWriter {
    private var buffer: [UInt8] = []
    private let flushAt = 1 << 16

    init() { buffer.reserveCapacity(flushAt + 4096) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
        flushIfFull()
    }

    mutating func string(_ value: String) {
        buffer.append(0x22)
        // Almost every string here (ids, paths, names) needs no escaping: copy it whole.
        let copied = value.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: Self.needsEscaping) else { return false }
            buffer.append(contentsOf: bytes)
            return true
        } ?? false
        if !copied {
            for byte in value.utf8 { appendEscaped(byte) }
        }
        buffer.append(0x22)
        flushIfFull()
    }

    private static func needsEscaping(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        let escape: UInt8
        switch byte {
        case 0x22, 0x5C: escape = byte
        case 0x0A: escape = UInt8(ascii: "n")
        case 0x0D: escape = UInt8(ascii: "r")
        case 0x09: escape = UInt8(ascii: "t")
        case 0..<0x20:
            // \u00XX, lower-case hex as JSONEncoder writes it.
            for character in "\\u00".utf8 { buffer.append(character) }
            buffer.append(Self.hexDigit(byte >> 4))
            buffer.append(Self.hexDigit(byte & 15))
            return
        default:
            buffer.append(byte)
            return
        }
        buffer.append(0x5C)
        buffer.append(escape)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// A timestamp as an RFC 3339 string, formatted in place; `null` for `nil`.
    mutating func timestamp(_ value: Timestamp?) {
        guard let value else { return raw("null") }
        buffer.append(0x22)
        value.withISO8601Bytes { buffer.append(contentsOf: $0) }
        buffer.append(0x22)
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    mutating func number(_ value: some BinaryInteger) {
        guard let unsigned = UInt64(exactly: value) else {
            buffer.append(contentsOf: String(value).utf8)
            return
        }
        // Digits straight into the buffer: no String per number.
        let start = buffer.count
        var remaining = unsigned
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        buffer[start...].reverse()
    }

    mutating func number(_ value: UInt64?) {
        if let value { number(value) } else { raw("null") }
    }

    /// As `JSONEncoder` writes a `Double`: its shortest description, without a trailing
    /// `.0` (so 1.0 is `1`, as `status --json` prints it).
    mutating func number(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        let text = value.description
        buffer.append(contentsOf: text.hasSuffix(".0") ? text.utf8.dropLast(2) : text.utf8[...])
    }

    mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    /// `"key":` — keys are ASCII literals here.
    mutating func key(_ name: StaticString) {
        buffer.append(0x22)
        name.withUTF8Buffer { buffer.append(contentsOf: $0) }
        buffer.append(0x22)
        buffer.append(0x3A)
    }

    private mutating func flushIfFull() {
        if buffer.count >= flushAt { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

extension JobJSON {
    /// This object, keys sorted, as `JSONEncoder` with `.sortedKeys` would write it (compact).
    func write(to out: inout JSONStreamWriter) {
        out.raw("{")
        out.key("activity"); out.string(activity); out.raw(",")
        out.key("attempts"); out.number(attempts); out.raw(",")
        out.key("createdAt"); out.timestamp(createdAt); out.raw(",")
        out.key("currentPhase"); out.string(currentPhase); out.raw(",")
        out.key("held"); out.bool(held); out.raw(",")
        out.key("id"); out.string(id); out.raw(",")
        out.key("itemsFailed"); out.number(itemsFailed); out.raw(",")
        out.key("phases"); out.raw("[")
        for (index, phase) in phases.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{")
            out.key("attempts"); out.number(phase.attempts); out.raw(",")
            out.key("completedAt"); out.timestamp(phase.completedAt); out.raw(",")
            out.key("itemsFailed"); out.number(phase.itemsFailed); out.raw(",")
            out.key("lastError"); out.string(phase.lastError); out.raw(",")
            out.key("name"); out.string(phase.name); out.raw(",")
            out.key("pauseReason"); out.string(phase.pauseReason); out.raw(",")
            out.key("processed"); out.number(phase.processed); out.raw(",")
            out.key("startedAt"); out.timestamp(phase.startedAt); out.raw(",")
            out.key("status"); out.string(phase.status); out.raw(",")
            out.key("total"); out.number(phase.total)
            out.raw("}")
        }
        out.raw("],")
        out.key("progress"); out.number(progress); out.raw(",")
        out.key("source"); out.string(source); out.raw(",")
        out.key("status"); out.string(status); out.raw(",")
        out.key("updatedAt"); out.timestamp(updatedAt)
        out.raw("}")
    }
}
