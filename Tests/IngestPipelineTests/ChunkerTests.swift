import Foundation
import IngestPipeline
import Testing

/// Paragraph-aware chunking with overlap.
struct ChunkerTests {
    // MARK: Checking a chunking

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0xC0 == 0x80
    }

    /// The whitespace-separated words of some UTF-8.
    private static func words(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(whereSeparator: isSpace).map { Array($0) }
    }

    /// Each chunk's text without the bytes it repeats from the chunk before.
    private static func ownParts(_ chunks: [TextChunk]) -> [ArraySlice<UInt8>] {
        var previousEnd = 0
        return chunks.map { chunk in
            let repeated = max(0, previousEnd - chunk.byteRange.lowerBound)
            previousEnd = chunk.byteRange.upperBound
            return Array(chunk.text.utf8).dropFirst(repeated)
        }
    }

    /// The chunks put back together: own parts joined by a space where the source had a gap.
    private static func reconstruct(_ chunks: [TextChunk]) -> [UInt8] {
        var joined: [UInt8] = []
        var previousEnd: Int? = nil
        for (chunk, part) in zip(chunks, ownParts(chunks)) {
            if let end = previousEnd, chunk.byteRange.lowerBound > end { joined.append(0x20) }
            joined += part
            previousEnd = chunk.byteRange.upperBound
        }
        return joined
    }

    /// Everything a user would check of a chunking, as a list of problems (empty when fine).
    private static func problems(in chunks: [TextChunk], of text: String, options: ChunkingOptions) -> [String] {
        let source = Array(text.utf8)
        var problems: [String] = []
        for (index, chunk) in chunks.enumerated() {
            let range = chunk.byteRange
            let bytes = Array(chunk.text.utf8)
            if chunk.ordinal != index { problems.append("chunk \(index) has ordinal \(chunk.ordinal)") }
            guard range.lowerBound >= 0, range.upperBound <= source.count, !range.isEmpty else {
                problems.append("chunk \(index) has range \(range) in \(source.count) bytes")
                continue
            }
            if bytes != Array(source[range]) {
                problems.append("chunk \(index) text is not the source bytes in \(range)")
            }
            if isContinuation(source[range.lowerBound])
                || (range.upperBound < source.count && isContinuation(source[range.upperBound]))
            {
                problems.append("chunk \(index) range \(range) cuts a scalar")
            }
            if bytes.count > options.size + options.overlap {
                problems.append("chunk \(index) has \(bytes.count) bytes, more than \(options.size) + \(options.overlap)")
            }
            if let last = bytes.last, isSpace(last) { problems.append("chunk \(index) ends with whitespace") }
            let firstLine = bytes.prefix { $0 != 0x0A }
            if firstLine.allSatisfy(isSpace) { problems.append("chunk \(index) starts with a blank line") }
            guard index > 0 else { continue }
            let previous = chunks[index - 1]
            if range.lowerBound <= previous.byteRange.lowerBound || range.upperBound <= previous.byteRange.upperBound {
                problems.append("chunk \(index) range \(range) does not follow \(previous.byteRange)")
            }
            let repeated = previous.byteRange.upperBound - range.lowerBound
            if repeated > options.overlap {
                problems.append("chunk \(index) repeats \(repeated) bytes, more than \(options.overlap)")
            }
            if repeated > 0 && Array(bytes.prefix(repeated)) != Array(Array(previous.text.utf8).suffix(repeated)) {
                problems.append("chunk \(index) does not start with the end of chunk \(index - 1)")
            }
            if repeated < 0 && !source[previous.byteRange.upperBound..<range.lowerBound].allSatisfy(isSpace) {
                problems.append("text between chunk \(index - 1) and \(index) is in no chunk")
            }
        }
        if words(reconstruct(chunks)) != words(source) {
            problems.append("the chunks' own parts do not give back the text's words")
        }
        return problems
    }

    // MARK: A generated corpus

    /// A small deterministic generator (64-bit LCG), so corpora are the same on every run.
    private struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private static let vocabulary = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
        "naïve", "café", "e\u{301}tude", "Straße", "日本語", "テキスト", "🙂", "👨‍👩‍👧", "flag🇯🇵", "Ελληνικά",
        "2024", "x²", "über", "ñandú",
    ]

    /// Paragraphs of words and sentences, some long, separated by assorted blank lines.
    private static func corpus(seed: UInt64, paragraphs: Int) -> String {
        var generator = Generator(state: seed)
        var text = generator.next(2) == 0 ? "" : " \r\n\n"
        let separators = ["\n\n", "\r\n\r\n", "\n \t \n", "\n\n\n", "\r\n  \r\n\r\n"]
        for p in 0..<paragraphs {
            if p > 0 { text += separators[generator.next(separators.count)] }
            let words = [3, 20, 60, 250][generator.next(4)]
            for w in 0..<words {
                if w > 0 { text += generator.next(12) == 0 ? "\n" : " " }
                if generator.next(40) == 0 {
                    text += String(repeating: vocabulary[generator.next(vocabulary.count)], count: 30)  // a long "word"
                } else {
                    text += vocabulary[generator.next(vocabulary.count)]
                }
                if generator.next(8) == 0 { text += [".", "!", "?", ",", "。"][generator.next(5)] }
            }
        }
        return text + ["", "\n", "\r\n \n"][generator.next(3)]
    }

    // MARK: Properties over many inputs

    @Test(arguments: [(64, 0), (64, 31), (100, 10), (256, 64), (1000, 100), (4096, 500)])
    func generatedCorporaChunkCorrectly(size: Int, overlap: Int) throws {
        let options = ChunkingOptions(size: size, overlap: overlap)
        let chunker = try Chunker(options: options)
        for seed in 1...12 as ClosedRange<UInt64> {
            let text = Self.corpus(seed: seed, paragraphs: 1 + Int(seed) * 2)
            let chunks = chunker.chunks(of: text)
            #expect(!chunks.isEmpty)
            #expect(Self.problems(in: chunks, of: text, options: options) == [], "seed \(seed)")
        }
    }

    @Test func theCheckerCatchesBrokenChunkings() throws {
        // Negative control: each fault planted below must be reported.
        let options = ChunkingOptions(size: 100, overlap: 20)
        let text = Self.corpus(seed: 7, paragraphs: 12)
        let chunks = try Chunker(options: options).chunks(of: text)
        try #require(chunks.count > 4)
        #expect(Self.problems(in: chunks, of: text, options: options) == [])

        var dropped = chunks
        dropped.remove(at: 2)
        dropped = dropped.enumerated().map { TextChunk(ordinal: $0, text: $1.text, byteRange: $1.byteRange) }
        #expect(!Self.problems(in: dropped, of: text, options: options).isEmpty)

        let tight = ChunkingOptions(size: 50, overlap: 10)
        #expect(Self.problems(in: chunks, of: text, options: tight).contains { $0.contains("more than") })

        let multiByte = "日本語"
        let cut = [TextChunk(ordinal: 0, text: "\u{FFFD}", byteRange: 0..<2)]
        #expect(Self.problems(in: cut, of: multiByte, options: options).contains { $0.contains("cuts a scalar") })
    }

    @Test func sameInputGivesSameChunks() throws {
        let text = Self.corpus(seed: 42, paragraphs: 30)
        let options = ChunkingOptions(size: 300, overlap: 60)
        let first = try Chunker(options: options).chunks(of: text)
        let second = try Chunker(options: options).chunks(of: text)
        #expect(first == second)
        #expect(first.count > 5)
    }

    // MARK: Blank text and trimming

    @Test(arguments: ["", " ", "\n", "\r\n\r\n", " \t\n  \n\r\n\u{0B}\u{0C}"])
    func blankTextGivesNoChunks(text: String) throws {
        #expect(try Chunker().chunks(of: text).isEmpty)
    }

    @Test func shortTextIsOneChunk() throws {
        let chunks = try Chunker().chunks(of: "Hello, world.")
        #expect(chunks == [TextChunk(ordinal: 0, text: "Hello, world.", byteRange: 0..<13)])
    }

    @Test func leadingAndTrailingBlankLinesAreTrimmed() throws {
        let text = "\n \n\r\nHello there.\r\nSecond line.  \r\n\r\n \n"
        let chunks = try Chunker().chunks(of: text)
        #expect(chunks.map(\.text) == ["Hello there.\r\nSecond line."])
        #expect(chunks.first?.byteRange == 5..<31)
        // Indentation of the first line is text, not a blank line.
        #expect(try Chunker().chunks(of: "\n\n    indented code\n").map(\.text) == ["    indented code"])
    }

    // MARK: Paragraphs

    @Test func paragraphsThatFitAreNotSplit() throws {
        let paragraphs = (0..<6).map { i in
            "Paragraph \(i) begins here. " + Array(repeating: "word\(i)", count: 20).joined(separator: " ") + "."
        }
        #expect(paragraphs.allSatisfy { (140...160).contains($0.utf8.count) })
        let text = paragraphs.joined(separator: "\n\n")
        let options = ChunkingOptions(size: 400, overlap: 50)
        let chunks = try Chunker(options: options).chunks(of: text)
        // Two paragraphs (about 300 bytes) fit in 400; three do not.
        #expect(chunks.count == 3)
        for (k, chunk) in chunks.enumerated() {
            #expect(chunk.text.hasSuffix(paragraphs[2 * k] + "\n\n" + paragraphs[2 * k + 1]))
        }
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
    }

    @Test func crlfAndWhitespaceOnlyLinesSeparateParagraphs() throws {
        let paragraphs = [
            "first paragraph line one\r\nstill the first paragraph",
            "second paragraph with some words",
            "third paragraph at the end of it",
        ]
        let text = "\r\n" + paragraphs[0] + "\r\n  \t \r\n" + paragraphs[1] + "\r\n\r\n\r\n" + paragraphs[2] + "\r\n"
        let chunks = try Chunker(options: ChunkingOptions(size: 64, overlap: 0)).chunks(of: text)
        #expect(chunks.map(\.text) == paragraphs)
    }

    @Test func aLongParagraphIsSplitAtSentenceEnds() throws {
        var generator = Generator(state: 3)
        let sentences = (0..<40).map { i in
            "Sentence \(i) says " + (0..<(3 + generator.next(10))).map { _ in "something" }.joined(separator: " ") + "."
        }
        let text = sentences.joined(separator: " ")
        let options = ChunkingOptions(size: 300, overlap: 40)
        let chunks = try Chunker(options: options).chunks(of: text)
        #expect(chunks.count > 5)
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
        for (chunk, own) in zip(chunks, Self.ownParts(chunks)) {
            #expect(chunk.text.hasSuffix("."))
            let start = own.drop(while: Self.isSpace)
            #expect(start.starts(with: "Sentence ".utf8), "\(String(decoding: own, as: UTF8.self))")
            if chunk.ordinal < chunks.count - 1 {
                #expect(start.count >= 150)  // the sentence end chosen keeps at least half a chunk
            }
        }
    }

    @Test func aLongParagraphWithoutSentencesIsSplitBetweenWords() throws {
        let vocabulary = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
        var generator = Generator(state: 11)
        let text = (0..<400).map { _ in vocabulary[generator.next(vocabulary.count)] }.joined(separator: " ")
        let options = ChunkingOptions(size: 128, overlap: 30)
        let chunks = try Chunker(options: options).chunks(of: text)
        #expect(chunks.count > 10)
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
        for chunk in chunks {
            // No word is cut, at either end, overlap included.
            for word in chunk.text.split(separator: " ") { #expect(vocabulary.contains(String(word)), "\(word)") }
        }
    }

    // MARK: Overlap

    @Test func consecutiveChunksOverlapFromAWordStart() throws {
        let text = Self.corpus(seed: 5, paragraphs: 25)
        let source = Array(text.utf8)
        let options = ChunkingOptions(size: 200, overlap: 50)
        let chunks = try Chunker(options: options).chunks(of: text)
        #expect(chunks.count > 10)
        for (previous, chunk) in zip(chunks, chunks.dropFirst()) {
            let repeated = previous.byteRange.upperBound - chunk.byteRange.lowerBound
            #expect((1...50).contains(repeated), "chunk \(chunk.ordinal)")
            let start = chunk.byteRange.lowerBound
            let wordStart = Self.isSpace(source[start - 1])
            let hasSpaceInWindow = source[max(start - 50, previous.byteRange.lowerBound + 1)..<start].contains(where: Self.isSpace)
            // A window with whitespace in it always offers a word start.
            #expect(wordStart || !hasSpaceInWindow, "chunk \(chunk.ordinal)")
        }
    }

    @Test func zeroOverlapRepeatsNothing() throws {
        let text = Self.corpus(seed: 9, paragraphs: 20)
        let options = ChunkingOptions(size: 150, overlap: 0)
        let chunks = try Chunker(options: options).chunks(of: text)
        for (previous, chunk) in zip(chunks, chunks.dropFirst()) {
            #expect(chunk.byteRange.lowerBound >= previous.byteRange.upperBound)
        }
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
    }

    // MARK: Multi-byte text

    @Test func textWithoutWhitespaceIsCutBetweenScalars() throws {
        let text = String(repeating: "日本語🙂éñ👨‍👩‍👧flag🇯🇵。", count: 40).replacingOccurrences(of: "。", with: "")
        let options = ChunkingOptions(size: 64, overlap: 16)
        let chunks = try Chunker(options: options).chunks(of: text)
        #expect(chunks.count > 20)
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
        #expect(Self.reconstruct(chunks) == Array(text.utf8))
        for chunk in chunks {
            // Zero-width-joiner sequences are not cut apart either.
            for character in chunk.text where character.unicodeScalars.contains("\u{200D}") {
                #expect(character == "👨‍👩‍👧")
            }
        }
    }

    @Test func combiningMarksStayWithTheirBase() throws {
        let text = String(repeating: "e\u{301}", count: 300)  // no whitespace, no sentence ends
        let options = ChunkingOptions(size: 64, overlap: 20)
        let chunks = try Chunker(options: options).chunks(of: text)
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
        for chunk in chunks {
            #expect(chunk.text.unicodeScalars.first == "e")
            #expect(chunk.text.unicodeScalars.last == "\u{301}")
        }
        for own in Self.ownParts(chunks) { #expect(own.first == UInt8(ascii: "e")) }
    }

    @Test func cjkSentencesAreCutAtFullStops() throws {
        let sentence = "これは日本語の文です。"  // 33 bytes, ends with U+3002
        let text = String(repeating: sentence, count: 20)
        let options = ChunkingOptions(size: 100, overlap: 20)
        let chunks = try Chunker(options: options).chunks(of: text)
        #expect(Self.problems(in: chunks, of: text, options: options) == [])
        #expect(Self.reconstruct(chunks) == Array(text.utf8))
        for chunk in chunks { #expect(chunk.text.hasSuffix("。")) }
    }

    @Test func mixedScriptsKeepEveryWord() throws {
        let line = "naïve café 🙂 日本語のテキスト Ελληνικά über ñandú e\u{301}tude 👨‍👩‍👧 x² 2024."
        let text = (0..<30).map { i in Array(repeating: line, count: 1 + i % 4).joined(separator: " ") }
            .joined(separator: "\n\n")
        for (size, overlap) in [(64, 20), (128, 40), (500, 100)] {
            let options = ChunkingOptions(size: size, overlap: overlap)
            let chunks = try Chunker(options: options).chunks(of: text)
            #expect(Self.problems(in: chunks, of: text, options: options) == [], "size \(size)")
        }
    }

    // MARK: Options

    @Test func defaultOptionsAreValid() throws {
        let options = ChunkingOptions()
        #expect(options.size == 1000)
        #expect(options.overlap == 100)
        try options.validate()
        #expect(try Chunker().options == options)
    }

    @Test func optionsRoundTripThroughJSON() throws {
        let options = ChunkingOptions(size: 512, overlap: 64)
        let decoded = try JSONDecoder().decode(ChunkingOptions.self, from: JSONEncoder().encode(options))
        #expect(decoded == options)
    }

    @Test(arguments: [(64, 0), (64, 31), (101, 50), (1000, 499), (Int.max, 0)])
    func validOptionsAreAccepted(size: Int, overlap: Int) throws {
        try ChunkingOptions(size: size, overlap: overlap).validate()
    }

    @Test func tooSmallASizeIsRefused() {
        #expect(throws: ChunkingOptionsError.sizeTooSmall(63)) { try ChunkingOptions(size: 63, overlap: 0).validate() }
        #expect(throws: ChunkingOptionsError.sizeTooSmall(0)) { try Chunker(options: ChunkingOptions(size: 0, overlap: 0)) }
        #expect(ChunkingOptionsError.sizeTooSmall(63).description == "chunk size 63 is too small; use at least 64 bytes")
    }

    @Test func negativeOverlapIsRefused() {
        #expect(throws: ChunkingOptionsError.negativeOverlap(-1)) { try ChunkingOptions(size: 100, overlap: -1).validate() }
        #expect(ChunkingOptionsError.negativeOverlap(-1).description.contains("use 0 for no overlap"))
    }

    @Test(arguments: [(100, 50), (100, 99), (100, 100), (64, 32), (101, 51), (Int.max, Int.max)])
    func overlapOfHalfTheSizeOrMoreIsRefused(size: Int, overlap: Int) {
        #expect(throws: ChunkingOptionsError.overlapTooLarge(overlap, size: size)) {
            try Chunker(options: ChunkingOptions(size: size, overlap: overlap))
        }
    }

    @Test func overlapErrorSaysWhatWouldWork() {
        #expect(
            ChunkingOptionsError.overlapTooLarge(50, size: 100).description
                == "chunk overlap 50 must be less than half of the chunk size 100; use at most 49 bytes or a larger size"
        )
    }
}
