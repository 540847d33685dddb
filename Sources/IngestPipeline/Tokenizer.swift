/// The tokenization shared by the BM25 index and the hashing embedder.
///
/// The rules, in full:
/// - A token is a maximal run of *token scalars*. A scalar starts or continues a token when
///   its Unicode general category is a letter (`Lu`, `Ll`, `Lt`, `Lm`, `Lo`) or a number
///   (`Nd`, `Nl`, `No`). A combining mark (`Mn`, `Mc`, `Me`) continues a token it follows
///   but never starts one, so decomposed accents (`e` + U+0301) stay inside their word.
///   Everything else — spaces, punctuation, symbols, emoji, `_`, `'` — separates tokens.
/// - Tokens are lowercased scalar by scalar with the Unicode full lowercase mapping
///   (`İ` becomes `i̇`); no case folding beyond that, no stemming, no stop words, and no
///   Unicode normalization (`café` in NFC and NFD give different tokens).
/// - A token longer than ``maxTokenBytes`` UTF-8 bytes is cut to the longest prefix of whole
///   scalars that fits; the rest of that run is dropped, not made into a second token.
///   Scripts written without spaces (Chinese, Japanese, Thai) therefore give one capped
///   token per run.
///
/// The Unicode data comes from the Swift standard library, not the C library or ICU, so
/// the same toolchain gives the same tokens on every platform. ASCII text takes a fast
/// path that never looks up Unicode properties.
public enum Tokenizer {
    /// The most UTF-8 bytes a token may hold.
    public static let maxTokenBytes = 64

    /// Calls `body` with the UTF-8 bytes of each token of `text`, in order, without
    /// allocating.
    ///
    /// - Parameters:
    ///   - text: The text to tokenize.
    ///   - body: Receives each lowercased token as UTF-8 bytes (1 to ``maxTokenBytes`` of
    ///     them). The buffer is only valid during the call.
    /// - Throws: Whatever `body` throws; tokenizing stops there.
    public static func forEachToken(
        in text: some StringProtocol,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxTokenBytes) { token in
            let done: Void? = try text.utf8.withContiguousStorageIfAvailable { bytes in
                try scan(bytes, token: token, body)
            }
            if done == nil {
                var copy = String(text)
                try copy.withUTF8 { bytes in try scan(bytes, token: token, body) }
            }
        }
    }

    /// The tokens of `text`, in order.
    ///
    /// - Parameter text: The text to tokenize.
    /// - Returns: Each lowercased token as a string; repeated tokens appear each time.
    public static func tokens(in text: some StringProtocol) -> [String] {
        var result: [String] = []
        forEachToken(in: text) { bytes in
            result.append(String(decoding: bytes, as: UTF8.self))
        }
        return result
    }

    /// Scans valid UTF-8 `bytes`, building each token in `token` and passing it to `body`.
    private static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>,
        token: UnsafeMutableBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        let capacity = token.count
        var count = 0  // bytes held in `token`
        var inToken = false
        var full = false  // the token was cut; drop the rest of its run
        let n = bytes.count
        var i = 0

        while i < n {
            let byte = bytes[i]
            if byte < 0x80 {
                // ASCII: letters, digits and everything else by byte value.
                i += 1
                var lower = byte
                if byte &- 0x61 < 26 || byte &- 0x30 < 10 {
                    // a-z, 0-9
                } else if byte &- 0x41 < 26 {
                    lower = byte | 0x20
                } else {
                    if inToken {
                        try body(UnsafeBufferPointer(rebasing: token[0..<count]))
                        count = 0
                        inToken = false
                        full = false
                    }
                    continue
                }
                inToken = true
                if !full {
                    if count < capacity {
                        token[count] = lower
                        count += 1
                    } else {
                        full = true
                    }
                }
                continue
            }

            // Non-ASCII: decode one scalar. A String's UTF-8 is valid, but stay safe on
            // a slice that starts or ends inside a scalar by treating stray bytes as
            // separators.
            let (decoded, width) = UTF8Scalars.decode(bytes, at: i)
            i += width
            let role = decoded.map(role(of:)) ?? .separator
            guard let scalar = decoded, role != .separator else {
                if inToken {
                    try body(UnsafeBufferPointer(rebasing: token[0..<count]))
                    count = 0
                    inToken = false
                    full = false
                }
                continue
            }
            if role == .mark && !inToken { continue }
            inToken = true
            if full { continue }
            let properties = scalar.properties
            if properties.changesWhenLowercased {
                for lowered in properties.lowercaseMapping.unicodeScalars {
                    if !append(lowered, to: token, count: &count) {
                        full = true
                        break
                    }
                }
            } else if !append(scalar, to: token, count: &count) {
                full = true
            }
        }
        if inToken && count > 0 {
            try body(UnsafeBufferPointer(rebasing: token[0..<count]))
        }
    }

    /// What a non-ASCII scalar does in a token.
    private enum Role {
        case letterOrNumber, mark, separator
    }

    private static func role(of scalar: Unicode.Scalar) -> Role {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            .letterOrNumber
        case .nonspacingMark, .spacingMark, .enclosingMark:
            .mark
        default:
            .separator
        }
    }

    /// Appends the UTF-8 of `scalar` if it fits whole.
    /// - Returns: `false` when it does not fit (nothing is written).
    private static func append(
        _ scalar: Unicode.Scalar, to token: UnsafeMutableBufferPointer<UInt8>, count: inout Int
    ) -> Bool {
        let utf8 = scalar.utf8
        guard count + utf8.count <= token.count else { return false }
        for byte in utf8 {
            token[count] = byte
            count += 1
        }
        return true
    }
}
