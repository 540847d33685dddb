import Foundation
import IngestTestSupport
import Testing
@testable import IngestCore

/// `Timestamp.iso8601`: RFC 3339 in UTC with milliseconds.
struct TimestampTests {
    @Test(arguments: [
        (UInt64(0), "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (86_399_999, "1970-01-01T23:59:59.999Z"),
        (86_400_000, "1970-01-02T00:00:00.000Z"),
        (946_684_799_999, "1999-12-31T23:59:59.999Z"),
        (946_684_800_000, "2000-01-01T00:00:00.000Z"),
        (951_868_799_999, "2000-02-29T23:59:59.999Z"),
        (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
        (1_709_251_200_000, "2024-03-01T00:00:00.000Z"),
        (1_795_914_782_120, "2026-11-29T01:13:02.120Z"),
        (4_107_542_399_000, "2100-02-28T23:59:59.000Z"),
        (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func knownInstants(millis: UInt64, expected: String) {
        #expect(Timestamp(millisecondsSince1970: millis).iso8601 == expected)
    }

    @Test("any stored value formats, the largest with a nine-digit year, without a trap")
    func extremeYears() {
        let largest = Timestamp(millisecondsSince1970: .max).iso8601
        #expect(largest.hasPrefix("584556019-") && largest.hasSuffix(".615Z") && largest.utf8.count == 29, "\(largest)")
        #expect(Timestamp(millisecondsSince1970: 253_402_300_800_000).iso8601 == "10000-01-01T00:00:00.000Z")
    }

    /// Foundation's formatter for the whole seconds, with the milliseconds put in by hand
    /// (a `Date` holds a `Double`, which cannot carry every millisecond exactly).
    static func foundationISO8601(_ millis: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        let seconds = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(millis / 1000)))
        let fraction = String(millis % 1000)
        return seconds.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
    }

    @Test func agreesWithFoundationOnRandomInstants() {
        var generator = SeededGenerator(seed: 2026)
        #expect(Self.foundationISO8601(1_709_210_096_789) == "2024-02-29T12:34:56.789Z")
        for _ in 0..<2_000 {
            // Up to the end of year 9999.
            let millis = generator.next() % 253_402_300_800_000
            #expect(Timestamp(millisecondsSince1970: millis).iso8601 == Self.foundationISO8601(millis), "\(millis)")
        }
    }

    @Test func agreesWithFoundationOnEveryLeapDayAndNewYearFrom1970To2200() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for year in 1970...2200 {
            var days = [DateComponents(year: year, month: 1, day: 1), DateComponents(year: year, month: 12, day: 31)]
            if calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: year, month: 2))!)?.count == 29 {
                days.append(DateComponents(year: year, month: 2, day: 29))
            }
            for components in days {
                guard let date = calendar.date(from: components) else {
                    Issue.record("no date for \(components)")
                    continue
                }
                let millis = UInt64(date.timeIntervalSince1970) * 1000 + 999
                #expect(Timestamp(millisecondsSince1970: millis).iso8601 == Self.foundationISO8601(millis))
                let expectedDay = String(format: "%04d-%02d-%02d", year, components.month!, components.day!)
                #expect(Timestamp(millisecondsSince1970: millis).iso8601.hasPrefix(expectedDay))
            }
        }
    }

    @Test func timestampsOrderByTime() {
        let earlier = Timestamp(millisecondsSince1970: 1_000)
        let later = Timestamp(millisecondsSince1970: 1_001)
        #expect(earlier < later)
        #expect(!(later < earlier))
        #expect(earlier == Timestamp(millisecondsSince1970: 1_000))
    }
}
