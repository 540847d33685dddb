import IngestTestSupport
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

/// The parsers on text no one should type: they answer `nil` or a value, never trap.
struct ParserRobustnessTests {
    /// `fuzz-size`: "ß" uppercases to "SS", and `Character("SS")` trapped, so
    /// `--max-file-size 1ß` crashed `ingest`. Likewise "ﬀ" → "FF" and "ŉ" → "ʼN".
    @Test(arguments: ["1ß", "5ﬀ", "2ŉ", "1ǅ", "1ßB", "１M", "1\u{301}M", "9ΐ"])
    func sizesWithCharactersThatUppercaseToSeveral(text: String) {
        #expect(SizeParser.parse(text) == nil)
    }

    /// Every string of up to three characters from a pool of digits, units and characters
    /// that change length when uppercased, are not ASCII digits, or combine.
    @Test("every short string of tricky characters parses or is refused")
    func shortStrings() {
        let pool: [String] = ["0", "9", "m", "s", "ms", "K", "B", "iB", " ", "ß", "ﬀ", "١", "\u{301}", "\r\n", "-", "."]
        var parsedDurations = 0
        var parsedSizes = 0
        for a in pool {
            for b in pool {
                for c in pool {
                    let text = a + b + c
                    if let duration = DurationParser.parse(text) {
                        #expect(duration >= .zero)
                        parsedDurations += 1
                    }
                    if SizeParser.parse(text) != nil { parsedSizes += 1 }
                }
            }
        }
        #expect(parsedDurations > 0 && parsedSizes > 0, "the pool never formed a valid duration or size")
    }

    /// Ids read back from damaged keys: an id decodes exactly when its text would be accepted
    /// if typed, and keeps its bytes.
    @Test("stored id bytes decode exactly when the typed id is valid")
    func storedIDs() {
        let seeds = ["job-1", "01jc9x2k4mzt8aqr", String(repeating: "x", count: 128)].map { Array($0.utf8) }
        for bytes in ByteMutations.variants(of: seeds, count: 2000, seed: 21) {
            let stored = JobID(storedBytes: bytes)
            let typed = String(validating: bytes, as: UTF8.self).flatMap { try? JobID(validating: $0) }
            #expect(stored == typed)
            if let stored { #expect(stored.bytes == bytes) }
        }
    }
}
