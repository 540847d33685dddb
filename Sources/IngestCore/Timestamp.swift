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
        let totalSeconds = Int64(millisecondsSince1970 / 1000)
        let millis = Int(millisecondsSince1970 % 1000)
        let days = totalSeconds / 86_400
        let secondsOfDay = Int(totalSeconds % 86_400)
        let (year, month, day) = Self.civilDate(fromDaysSince1970: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))"
            + ".\(pad(millis, 3))Z"
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
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
