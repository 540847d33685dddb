/// Lines that Foundation's JSON5 parser (as of Swift 6.3.1) traps on instead of throwing,
/// found by `tools/fuzz/run exec-reply`. ``ExecReply`` parses a child's reply line in JSON5
/// mode (for Python's `NaN` and `Infinity`), and a trap there would crash `ingest run`, so
/// such a line is refused before it reaches the parser.
enum JSON5Guard {
    /// Why `line` must not be handed to the JSON5 parser, or `nil` when it may be.
    static func refusal(of line: [UInt8]) -> String? {
        // An unquoted key that is not UTF-8, e.g. `{\xde\x89: 1}` (CodableUtilities.swift:685).
        guard String(validating: line, as: UTF8.self) != nil else { return "a line that is not UTF-8 text" }
        // A number whose exponent has a sign but no digits, e.g. `[1e-]` (JSON5Scanner.validateNumber).
        if let offset = signedExponentWithoutDigits(in: line) {
            return "a number with an exponent sign but no exponent digits at byte \(offset)"
        }
        return nil
    }

    /// The offset of the first `e+`/`e-` (or `E`) that follows a digit or `.` outside a
    /// string and is not followed by a digit.
    private static func signedExponentWithoutDigits(in line: [UInt8]) -> Int? {
        var quote: UInt8?  // the quote of the string we are in (JSON5 also allows ')
        var escaped = false
        for index in line.indices {
            let byte = line[index]
            if let open = quote {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open {
                    quote = nil
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                quote = byte
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard index > 0, isDigitOrDot(line[index - 1]), index + 1 < line.count else { continue }
                let sign = line[index + 1]
                guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { continue }
                if index + 2 >= line.count || !isDigit(line[index + 2]) { return index }
            default:
                continue
            }
        }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isDigitOrDot(_ byte: UInt8) -> Bool { isDigit(byte) || byte == UInt8(ascii: ".") }
}
