/// Parses byte sizes as people write them: `1048576`, `512K`, `200M`, `2G`, `1T` (powers of
/// 1024; a trailing `B` or `iB` is allowed: `200MB`, `200MiB`).
public enum SizeParser {
    /// Parses one size: a number and an optional unit.
    /// - Returns: The size in bytes, or `nil` when `text` is not one.
    public static func parse(_ text: String) -> UInt64? {
        var rest = Substring(text.trimmingSpaces)
        guard !rest.isEmpty, rest.utf8.count <= 32 else { return nil }
        for suffix in ["iB", "B"] where rest.hasSuffix(suffix) && rest.count > suffix.count {
            rest = rest.dropLast(suffix.count)
            break
        }
        // Looked up by String: uppercasing a character may give several ("ß" → "SS"), which
        // `Character(_:)` would trap on.
        let multipliers: [String: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var multiplier: UInt64 = 1
        if let last = rest.last, let found = multipliers[last.uppercased()] {
            multiplier = found
            rest = rest.dropLast()
        }
        guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(rest) else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map(index(after:)) ?? start
        return self[start..<max(start, end)]
    }
}
