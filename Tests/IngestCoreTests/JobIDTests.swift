import IngestTestSupport
import Testing
@testable import IngestCore

/// Job ids: `[A-Za-z0-9._-]{1,128}`, not "." or "..", and generated ids ordered by time.
struct JobIDTests {
    @Test(arguments: [
        "a", "Z", "0", "job-1", "nightly_2026.11.29", "A.b_C-d", "...", "-", "_", ".hidden", "a..b",
        String(repeating: "x", count: 128),
    ])
    func validIdsAreAccepted(text: String) throws {
        let id = try JobID(validating: text)
        #expect(id.rawValue == text)
        #expect(id.description == text)
        #expect(id.bytes == Array(text.utf8))
    }

    @Test func anEmptyIdIsRefused() {
        #expect(throws: JobIDError(text: "", problem: "is empty")) { try JobID(validating: "") }
    }

    @Test func aTooLongIdIsRefused() {
        let text = String(repeating: "a", count: 129)
        let error = #expect(throws: JobIDError.self) { try JobID(validating: text) }
        #expect(error?.problem == "is longer than 128 characters")
        // The message shows a shortened id, not all 129 characters.
        #expect(error?.description == "job id \"\(String(repeating: "a", count: 40))…\" is longer than 128 characters")
    }

    @Test(arguments: [
        "has space", " lead", "trail ", "a/b", "/", "a\\b", "a\u{0}b", "\u{0}", "caf\u{E9}", "\u{65E5}\u{672C}",
        "emoji\u{1F600}", "tab\tid", "new\nline", "a:b", "a*b", "a+b",
    ])
    func badCharactersAreRefused(text: String) {
        let error = #expect(throws: JobIDError.self) { try JobID(validating: text) }
        #expect(error?.text == text)
        #expect(error?.problem == "may only hold A-Z, a-z, 0-9, '.', '_' and '-'")
    }

    @Test(arguments: [".", ".."])
    func dotAndDotDotAreRefused(text: String) {
        #expect(throws: JobIDError(text: text, problem: "is not a name")) { try JobID(validating: text) }
    }

    @Test func storedBytesRoundTrip() throws {
        let id = try JobID(validating: "job-42")
        #expect(JobID(storedBytes: id.bytes) == id)
        #expect(JobID(storedBytes: Array("bad id".utf8)) == nil)
        #expect(JobID(storedBytes: [UInt8]()) == nil)
        #expect(JobID(storedBytes: [0x61, 0xFF, 0x62]) == nil)
    }

    @Test func idsCompareByBytes() throws {
        let ids = try ["b", "a", "B", "a-", "a.", "0", "aa"].map { try JobID(validating: $0) }
        #expect(ids.sorted().map(\.rawValue) == ["0", "B", "a", "a-", "a.", "aa", "b"])
    }

    // MARK: Generated ids

    static let crockford = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// Reads the milliseconds back from a generated id's first 10 characters.
    static func decodedMilliseconds(_ id: JobID) -> UInt64? {
        var value: UInt64 = 0
        for character in id.rawValue.prefix(10) {
            guard let digit = crockford.firstIndex(of: character) else { return nil }
            value = value * 32 + UInt64(digit)
        }
        return value
    }

    @Test func generatedIdsAreValidSixteenCharactersAndCarryTheirTime() throws {
        var generator = SeededGenerator(seed: 7)
        for millis: UInt64 in [0, 1, 31, 32, 1_000, 1_709_210_096_789, 1_795_914_782_120, (1 << 50) - 1] {
            let id = JobID.generate(at: Timestamp(millisecondsSince1970: millis), using: &generator)
            #expect(id.rawValue.utf8.count == 16)
            #expect(try JobID(validating: id.rawValue) == id)
            #expect(JobID(storedBytes: id.bytes) == id)
            #expect(Self.decodedMilliseconds(id) == millis)
        }
    }

    @Test func theEpochEncodesAsTenZeros() {
        var generator = SeededGenerator(seed: 1)
        let id = JobID.generate(at: Timestamp(millisecondsSince1970: 0), using: &generator)
        #expect(id.rawValue.hasPrefix("0000000000"))
    }

    @Test func generatedIdsSortInTimeOrder() {
        var generator = SeededGenerator(seed: 0x1D5)
        var clock: UInt64 = 1_700_000_000_000
        var ids: [JobID] = []
        for _ in 0..<2_000 {
            clock += 1 + generator.next() % 5_000
            ids.append(JobID.generate(at: Timestamp(millisecondsSince1970: clock), using: &generator))
        }
        #expect(ids.sorted() == ids)
        #expect(ids.map(\.rawValue).sorted() == ids.map(\.rawValue))
        #expect(Set(ids).count == ids.count)
    }

    @Test func shuffledGeneratedIdsSortBackIntoTimeOrder() {
        var generator = SeededGenerator(seed: 99)
        let times: [UInt64] = [0, 1, 2, 31, 32, 33, 1_023, 1_024, 86_400_000, 1_709_210_096_789, 1_795_914_782_120]
        let ids = times.map { JobID.generate(at: Timestamp(millisecondsSince1970: $0), using: &generator) }
        let shuffled = ids.shuffled(using: &generator)
        #expect(shuffled.sorted() == ids)
        #expect(shuffled.sorted().map { Self.decodedMilliseconds($0) } == times.map { Optional($0) })
    }

    @Test func idsGeneratedInTheSameMillisecondDifferInTheirRandomPart() {
        var generator = SeededGenerator(seed: 3)
        let now = Timestamp(millisecondsSince1970: 1_795_914_782_120)
        let ids = (0..<100).map { _ in JobID.generate(at: now, using: &generator) }
        #expect(Set(ids.map { $0.rawValue.prefix(10) }).count == 1)
        #expect(Set(ids).count == 100)
    }

    @Test func theSameSeedGeneratesTheSameIds() {
        var first = SeededGenerator(seed: 42)
        var second = SeededGenerator(seed: 42)
        let now = Timestamp(millisecondsSince1970: 1_000_000)
        #expect(JobID.generate(at: now, using: &first) == JobID.generate(at: now, using: &second))
    }
}
