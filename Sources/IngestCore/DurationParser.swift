/// Parses durations as people write them on a command line: `90`, `90s`, `500ms`, `5m`,
/// `1h30m`, `2d`. A bare number is seconds.
public enum DurationParser {
    /// Parses one duration, a number and a unit, or several in a row (`1h30m`).
    /// - Returns: The duration, or `nil` when `text` is not one (empty, negative, unknown
    ///   unit, overflow).
    public static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, milliseconds: Int64)] = [
            ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
        ]
        var rest = Substring(text)
        guard !rest.isEmpty, rest.utf8.count <= 64 else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unitText.count)
            let multiplier: Int64
            if unitText.isEmpty {
                // A bare number is seconds, and only on its own.
                guard total == 0, rest.isEmpty else { return nil }
                multiplier = 1000
            } else {
                guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
                multiplier = unit.milliseconds
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow else { return nil }
            total = sum
        }
        return .milliseconds(total)
    }
}
