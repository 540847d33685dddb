import IngestPipeline
import Testing

/// The tokenization shared by BM25 and the hashing embedder.
struct TokenizerTests {
    /// Tokens as byte arrays, so canonically equivalent strings are not taken as equal.
    private func byteTokens(_ text: String) -> [[UInt8]] {
        Tokenizer.tokens(in: text).map { Array($0.utf8) }
    }

    @Test func lettersAreLowercased() {
        #expect(Tokenizer.tokens(in: "Hello WORLD MiXeD") == ["hello", "world", "mixed"])
        #expect(Tokenizer.tokens(in: "ÉCOLE Straße ΣΟΦΙΑ ПРИВЕТ") == ["école", "straße", "σοφια", "привет"])
    }

    @Test func punctuationAndSymbolsSeparateTokens() {
        #expect(
            Tokenizer.tokens(in: "don't stop-me, now! (please) snake_case a.b/c@d #tag")
                == ["don", "t", "stop", "me", "now", "please", "snake", "case", "a", "b", "c", "d", "tag"]
        )
        #expect(Tokenizer.tokens(in: "a🙂b ✓c €d") == ["a", "b", "c", "d"])
    }

    @Test func digitsAreTokensAndJoinLetters() {
        #expect(
            Tokenizer.tokens(in: "Version 2.0 has 3x speed in 2024, costs $1,000")
                == ["version", "2", "0", "has", "3x", "speed", "in", "2024", "costs", "1", "000"]
        )
        // Other Unicode numbers: Arabic-Indic digits, superscript two, Roman numeral twelve.
        #expect(Tokenizer.tokens(in: "٣٤ x² Ⅻ") == ["٣٤", "x²", "ⅻ"])
    }

    @Test func unicodeLettersFormTokens() {
        #expect(Tokenizer.tokens(in: "naïve café, 日本語のテキスト; Ελληνικά") == ["naïve", "café", "日本語のテキスト", "ελληνικά"])
    }

    @Test func combiningMarksStayInTheirWord() {
        // Decomposed é: e followed by U+0301. The mark continues the token ...
        #expect(byteTokens("cafe\u{301} ok") == [Array("cafe\u{301}".utf8), Array("ok".utf8)])
        // ... but never starts one.
        #expect(byteTokens(" \u{301}x") == [Array("x".utf8)])
    }

    @Test func uppercaseWithMultiScalarLowercaseMapping() {
        // U+0130 (İ) lowercases to i + U+0307.
        #expect(byteTokens("İstanbul") == [Array("i\u{307}stanbul".utf8)])
    }

    @Test func textWithoutLettersOrDigitsHasNoTokens() {
        #expect(Tokenizer.tokens(in: "").isEmpty)
        #expect(Tokenizer.tokens(in: "  \n\t ... !!! 🙂👍 — ").isEmpty)
    }

    @Test func tokensAreCutTo64Bytes() {
        #expect(Tokenizer.tokens(in: String(repeating: "A", count: 64)) == [String(repeating: "a", count: 64)])
        #expect(Tokenizer.tokens(in: String(repeating: "a", count: 100) + " next") == [String(repeating: "a", count: 64), "next"])
        // Two-byte scalars: 32 fit exactly.
        #expect(Tokenizer.tokens(in: String(repeating: "é", count: 40)) == [String(repeating: "é", count: 32)])
        // Three-byte scalars: 21 fit (63 bytes); the cut is never inside a scalar.
        let cjk = Tokenizer.tokens(in: String(repeating: "語", count: 30))
        #expect(cjk == [String(repeating: "語", count: 21)])
        #expect(cjk.first?.utf8.count == 63)
        // Four-byte scalars (mathematical bold A, a letter): 16 fit.
        #expect(Tokenizer.tokens(in: String(repeating: "𝐀", count: 20)) == [String(repeating: "𝐀", count: 16)])
    }

    @Test func everyTokenIsShortAndMadeOfLettersNumbersAndMarks() {
        let text = "Ünïcödé " + String(repeating: "x9é語", count: 50) + " the end, 42!"
        var count = 0
        Tokenizer.forEachToken(in: text) { bytes in
            count += 1
            #expect((1...Tokenizer.maxTokenBytes).contains(bytes.count))
            let token = String(decoding: bytes, as: UTF8.self)
            #expect(Array(token.utf8) == Array(bytes))  // valid UTF-8: no scalar was cut
        }
        #expect(count == 5)
    }

    @Test func substringsTokenizeLikeStrings() {
        let text = "prefix Hello, Wörld! 123 suffix"
        let slice = text.dropFirst(7).dropLast(7)
        #expect(Tokenizer.tokens(in: slice) == ["hello", "wörld", "123"])
        #expect(Tokenizer.tokens(in: slice) == Tokenizer.tokens(in: String(slice)))
    }

    @Test func forEachTokenStopsWhenTheBodyThrows() {
        struct Stop: Error {}
        var seen: [String] = []
        #expect(throws: Stop.self) {
            try Tokenizer.forEachToken(in: "one two three four") { bytes in
                seen.append(String(decoding: bytes, as: UTF8.self))
                if seen.count == 2 { throw Stop() }
            }
        }
        #expect(seen == ["one", "two"])
    }

    @Test func tokenizationIsDeterministic() {
        let text = String(repeating: "The Quick brown FOX — jumps über 13 lazy dogs; 狐狸跳。 ", count: 20)
        #expect(Tokenizer.tokens(in: text) == Tokenizer.tokens(in: text))
        #expect(Tokenizer.tokens(in: text).count == 20 * 10)
    }
}
