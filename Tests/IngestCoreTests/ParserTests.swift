import Testing

@testable import IngestCore

/// Durations and sizes as written on the command line.
struct ParserTests {
    @Test(arguments: [
        ("90", 90_000), ("90s", 90_000), ("500ms", 500), ("5m", 300_000), ("1h30m", 5_400_000),
        ("2d", 172_800_000), ("0s", 0), ("1m30s", 90_000),
    ] as [(String, Int64)])
    func durations(text: String, milliseconds: Int64) {
        #expect(DurationParser.parse(text) == .milliseconds(milliseconds))
    }

    @Test(arguments: ["", "s", "-5s", "5x", "1.5s", "5 s", "90s30", "99999999999999999999d", String(repeating: "9", count: 70)])
    func badDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test(arguments: [
        ("1048576", 1 << 20), ("512K", 512 << 10), ("200M", 200 << 20), ("200MB", 200 << 20), ("200MiB", 200 << 20),
        ("2G", 2 << 30), ("1T", 1 << 40), ("2g", 2 << 30), ("0", 0),
    ] as [(String, UInt64)])
    func sizes(text: String, bytes: UInt64) {
        #expect(SizeParser.parse(text) == bytes)
    }

    @Test(arguments: ["", "M", "-1M", "1.5G", "lots", "5X", "99999999999T", "1 2M"])
    func badSizes(text: String) {
        #expect(SizeParser.parse(text) == nil)
    }
}
