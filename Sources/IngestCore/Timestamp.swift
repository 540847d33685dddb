/// A wall-clock instant in milliseconds since 1970, as stored in records.
///
/// Edge boxes may have no real-time clock, so timestamps are for people only: no rule of
/// the model or the runner compares them.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSince1970: UInt64

    /// The instant `millisecondsSince1970` milliseconds after 1970-01-01T00:00:00Z.
    public init(millisecondsSince1970: UInt64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// Earlier before later.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-29T01:13:02.120Z`.
    public var iso8601: String {
        withISO8601Bytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with ``iso8601`` as UTF-8 bytes, formatted digit by digit into a buffer
    /// on the stack: `list --json` writes up to ten of these per job, a hundred thousand jobs
    /// at a time, straight into its output without a `String` each.
    /// - Parameter body: Reads the bytes; they are valid only during the call.
    /// - Returns: What `body` returns.
    public func withISO8601Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.iso8601MaximumLength) { buffer in
            let count = writeISO8601(into: buffer)
            return try body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// The most bytes ``writeISO8601(into:)`` writes: a nine-digit year (a `UInt64` of
    /// milliseconds ends in the year 584,556,019) and the 20 bytes after it.
    private static let iso8601MaximumLength = 29

    /// Writes ``iso8601`` into `buffer` (``iso8601MaximumLength`` bytes, as
    /// ``withISO8601Bytes(_:)`` allocates it) and returns how many bytes it wrote.
    private func writeISO8601(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let totalSeconds = Int64(millisecondsSince1970 / 1000)
        let millis = Int(millisecondsSince1970 % 1000)
        let days = totalSeconds / 86_400
        let secondsOfDay = Int(totalSeconds % 86_400)
        let (year, month, day) = Self.civilDate(fromDaysSince1970: days)
        // Four digits at least; later years get as many as they need.
        var yearDigits = 4
        var power = 10_000
        while year >= power {
            yearDigits += 1
            power *= 10
        }
        var index = 0
        func put(_ value: Int, _ width: Int) {
            var remaining = value
            for position in stride(from: index + width - 1, through: index, by: -1) {
                buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            index += width
        }
        func put(_ character: Unicode.Scalar) {
            buffer[index] = UInt8(ascii: character)
            index += 1
        }
        put(year, yearDigits); put("-"); put(month, 2); put("-"); put(day, 2); put("T")
        put(secondsOfDay / 3600, 2); put(":"); put(secondsOfDay / 60 % 60, 2); put(":"); put(secondsOfDay % 60, 2)
        put("."); put(millis, 3); put("Z")
        return index
    }

    /// Gregorian date from a day count (Howard Hinnant's days-to-civil algorithm).
    private static func civilDate(fromDaysSince1970 days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
