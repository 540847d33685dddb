/// How the chunker cuts documents; both lengths are in UTF-8 bytes.
public struct ChunkingOptions: Sendable, Hashable, Codable {
    /// The most bytes of a chunk's own text (not counting the overlap it repeats).
    public var size: Int
    /// The most bytes a chunk repeats from the end of the chunk before it.
    public var overlap: Int

    /// Makes options; call ``validate()`` (or make a ``Chunker``) to check them.
    ///
    /// - Parameters:
    ///   - size: The most bytes of a chunk's own text; at least 64.
    ///   - overlap: The most bytes repeated from the previous chunk; at least 0 and less
    ///     than half of `size`.
    public init(size: Int = 1000, overlap: Int = 100) {
        self.size = size
        self.overlap = overlap
    }

    /// The smallest `size` accepted.
    public static let minimumSize = 64

    /// Checks that the options can be used.
    ///
    /// - Throws: `ChunkingOptionsError` when `size` is below 64, `overlap` is negative, or
    ///   `overlap` is not less than half of `size`.
    public func validate() throws(ChunkingOptionsError) {
        if size < Self.minimumSize { throw .sizeTooSmall(size) }
        if overlap < 0 { throw .negativeOverlap(overlap) }
        // overlap < size / 2 exactly, without overflow: overlap < ceil(size / 2).
        if overlap >= size - size / 2 { throw .overlapTooLarge(overlap, size: size) }
    }
}

/// Chunking options that cannot be used, with what to change.
public struct ChunkingOptionsError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case sizeTooSmall(Int)
        case negativeOverlap(Int)
        case overlapTooLarge(Int, size: Int)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// `size` is below ``ChunkingOptions/minimumSize``.
    public static func sizeTooSmall(_ size: Int) -> Self { .init(.sizeTooSmall(size)) }
    /// `overlap` is negative.
    public static func negativeOverlap(_ overlap: Int) -> Self { .init(.negativeOverlap(overlap)) }
    /// `overlap` is half of `size` or more.
    public static func overlapTooLarge(_ overlap: Int, size: Int) -> Self {
        .init(.overlapTooLarge(overlap, size: size))
    }

    public var description: String {
        switch kind {
        case .sizeTooSmall(let size):
            "chunk size \(size) is too small; use at least \(ChunkingOptions.minimumSize) bytes"
        case .negativeOverlap(let overlap):
            "chunk overlap \(overlap) is negative; use 0 for no overlap"
        case .overlapTooLarge(let overlap, let size):
            "chunk overlap \(overlap) must be less than half of the chunk size \(size); "
                + "use at most \(max(0, (size - size / 2) - 1)) bytes or a larger size"
        }
    }
}

/// One piece of a document, as the chunker cut it.
public struct TextChunk: Sendable, Hashable {
    /// The position of the chunk in its document, from 0.
    public let ordinal: Int
    /// The chunk's text: exactly the document's UTF-8 bytes in `byteRange`.
    public let text: String
    /// Where the text lies in the document, in UTF-8 byte offsets; for every chunk after the
    /// first it starts with the overlap repeated from the previous chunk.
    public let byteRange: Range<Int>

    /// Makes a chunk.
    ///
    /// - Parameters:
    ///   - ordinal: The position of the chunk in its document.
    ///   - text: The chunk's text.
    ///   - byteRange: Where `text` lies in the document, in UTF-8 byte offsets.
    public init(ordinal: Int, text: String, byteRange: Range<Int>) {
        self.ordinal = ordinal
        self.text = text
        self.byteRange = byteRange
    }
}

/// Cuts documents into paragraph-aware, overlapping chunks.
///
/// The rules, in full (all lengths in UTF-8 bytes):
/// - Paragraphs are separated by blank lines; a line (ended by `\n`, so `\r\n` works) that
///   holds only ASCII whitespace is blank. A paragraph runs from the start of its first line
///   (indentation kept) to the end of its last non-whitespace byte.
/// - Whole paragraphs are packed into a chunk while the chunk's own text — from the start of
///   its first paragraph to the end of its last, blank lines between included — fits in
///   `size`.
/// - A paragraph longer than `size` starts a new chunk and is split. Each cut is the last
///   sentence end (`.`, `!` or `?` followed by whitespace, or a CJK `。`, `！`, `？`) that
///   leaves at least `size / 2` bytes before it; failing that, the last whitespace; failing
///   that, the last scalar boundary, moved back when it can be so that it does not separate
///   a combining mark, variation selector or zero-width joiner from its base. A cut never
///   falls inside a multi-byte scalar. Whitespace around a cut belongs to neither piece.
///   The last piece of a split paragraph takes following paragraphs while they fit.
/// - Each chunk after the first starts up to `overlap` bytes before its own text, and after
///   the previous chunk's start (a chunk never repeats the whole of the one before): at the
///   first word start (a non-whitespace byte after whitespace) in that window that lies
///   inside the previous chunk's text; when there is none, at the window's first scalar
///   boundary if the window cuts into a long run without whitespace, or with no overlap if
///   the previous chunk is a single short word. Whitespace between the overlap and the own
///   text is included, so a chunk's text is always one contiguous slice of the document.
/// - So no chunk holds more than `size + overlap` bytes; no chunk begins or ends with a blank
///   line; empty or whitespace-only text gives no chunks; the output depends only on the
///   text and the options.
///
/// The chunker reads the string's UTF-8 in place; it allocates only the chunks it returns.
public struct Chunker: Sendable {
    /// The options this chunker cuts with; always valid.
    public let options: ChunkingOptions

    /// Makes a chunker.
    ///
    /// - Parameter options: How to cut; checked with ``ChunkingOptions/validate()``.
    /// - Throws: `ChunkingOptionsError` when the options are not valid.
    public init(options: ChunkingOptions = ChunkingOptions()) throws(ChunkingOptionsError) {
        try options.validate()
        self.options = options
    }

    /// Cuts `text` into chunks.
    ///
    /// - Parameter text: The document.
    /// - Returns: The chunks in document order, with ordinals from 0; none for empty or
    ///   whitespace-only text.
    public func chunks(of text: String) -> [TextChunk] {
        var text = text
        return text.withUTF8 { bytes in
            var cutter = Cutter(bytes: bytes, size: options.size, overlap: options.overlap)
            return cutter.run()
        }
    }
}

/// The chunking state for one document.
private struct Cutter {
    let bytes: UnsafeBufferPointer<UInt8>
    let size: Int
    let overlap: Int
    var chunks: [TextChunk] = []
    /// The byte range of the last chunk emitted.
    var previous: Range<Int>? = nil

    init(bytes: UnsafeBufferPointer<UInt8>, size: Int, overlap: Int) {
        self.bytes = bytes
        self.size = size
        self.overlap = overlap
    }

    mutating func run() -> [TextChunk] {
        var position = 0
        var current: Range<Int>? = nil  // own text of the chunk being packed

        while let paragraph = nextParagraph(from: &position) {
            if let open = current {
                if paragraph.upperBound - open.lowerBound <= size {
                    current = open.lowerBound..<paragraph.upperBound
                    continue
                }
                emit(open)
                current = nil
            }
            var start = paragraph.lowerBound
            while paragraph.upperBound - start > size {
                let (end, next) = cut(from: start, paragraphEnd: paragraph.upperBound)
                emit(start..<end)
                start = next
            }
            current = start..<paragraph.upperBound
        }
        if let open = current { emit(open) }
        return chunks
    }

    // MARK: Paragraphs

    /// The next paragraph at or after `position`, which moves past it.
    /// - Returns: From the start of its first non-blank line to its last non-whitespace
    ///   byte, or `nil` when only blank lines are left.
    func nextParagraph(from position: inout Int) -> Range<Int>? {
        let n = bytes.count
        var start: Int? = nil
        var end = position  // end of the last non-blank line's non-whitespace bytes
        var lineStart = position
        while lineStart < n {
            var i = lineStart
            var lastNonSpace = -1
            while i < n && bytes[i] != 0x0A {
                if !isSpace(bytes[i]) { lastNonSpace = i }
                i += 1
            }
            let lineEnd = i  // at the newline or at n
            if lastNonSpace >= 0 {
                if start == nil { start = lineStart }
                end = lastNonSpace + 1
            } else if start != nil {
                break  // a blank line ends the paragraph
            }
            lineStart = lineEnd + 1
        }
        position = min(lineStart, n)
        guard let start else { return nil }
        return start..<end
    }

    // MARK: Splitting a long paragraph

    /// Where to cut a piece that starts at `start`, in a paragraph that goes on past
    /// `start + size`.
    /// - Returns: The end of the piece, and where the next piece starts.
    func cut(from start: Int, paragraphEnd: Int) -> (end: Int, next: Int) {
        let limit = start + size  // < paragraphEnd
        // 1. The last sentence end that keeps at least half a chunk.
        var c = limit
        let half = start + size / 2
        while c >= half && c > start {
            if let end = sentenceEnd(at: c, paragraphEnd: paragraphEnd) {
                return (end, skipSpace(from: end, to: paragraphEnd))
            }
            c -= 1
        }
        // 2. The last whitespace.
        c = limit
        while c > start {
            if isSpace(bytes[c]) {
                var end = c
                while end > start && isSpace(bytes[end - 1]) { end -= 1 }
                if end > start { return (end, skipSpace(from: c, to: paragraphEnd)) }
            }
            c -= 1
        }
        // 3. The last scalar boundary, kept off grapheme extenders when possible.
        c = scalarBoundary(atOrBefore: limit, floor: start)
        var nicer = c
        while nicer > start && !isGoodCut(nicer) {
            nicer = scalarBoundary(atOrBefore: nicer - 1, floor: start)
        }
        if nicer > start { c = nicer }
        return (c, c)
    }

    /// The end of a sentence whose last byte is at `c - 1`, or `nil`.
    func sentenceEnd(at c: Int, paragraphEnd: Int) -> Int? {
        let last = bytes[c - 1]
        if last == 0x2E || last == 0x21 || last == 0x3F {  // . ! ?
            return c < paragraphEnd && isSpace(bytes[c]) ? c : nil
        }
        // 。 U+3002 (E3 80 82), ！ U+FF01 (EF BC 81), ？ U+FF1F (EF BC 9F)
        guard c >= 3 && (last == 0x82 || last == 0x81 || last == 0x9F) else { return nil }
        let a = bytes[c - 3]
        let b = bytes[c - 2]
        if (a == 0xE3 && b == 0x80 && last == 0x82) || (a == 0xEF && b == 0xBC && (last == 0x81 || last == 0x9F)) {
            return c
        }
        return nil
    }

    func skipSpace(from i: Int, to end: Int) -> Int {
        var i = i
        while i < end && isSpace(bytes[i]) { i += 1 }
        return i
    }

    /// The greatest scalar boundary at or before `i`, but not before `floor`.
    func scalarBoundary(atOrBefore i: Int, floor: Int) -> Int {
        var i = i
        while i > floor && i < bytes.count && isContinuation(bytes[i]) { i -= 1 }
        return i
    }

    /// The least scalar boundary at or after `i`, but not after `ceiling`.
    func scalarBoundary(atOrAfter i: Int, ceiling: Int) -> Int {
        var i = i
        while i < ceiling && isContinuation(bytes[i]) { i += 1 }
        return i
    }

    /// Whether a cut before byte `i` (a scalar boundary) keeps grapheme extenders with their
    /// base: the scalar at `i` is not a combining mark, variation selector, emoji modifier,
    /// tag or zero-width joiner, and the scalar before `i` is not a zero-width joiner.
    func isGoodCut(_ i: Int) -> Bool {
        if i >= 3 && bytes[i - 3] == 0xE2 && bytes[i - 2] == 0x80 && bytes[i - 1] == 0x8D { return false }
        guard let scalar = scalar(at: i) else { return true }
        switch scalar.value {
        case 0x200D, 0xFE00...0xFE0F, 0x1F3FB...0x1F3FF, 0xE0020...0xE007F, 0xE0100...0xE01EF:
            return false
        default:
            break
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return false
        default: return true
        }
    }

    /// The scalar that starts at byte `i`, or `nil` at the end or inside a scalar.
    func scalar(at i: Int) -> Unicode.Scalar? {
        guard i < bytes.count else { return nil }
        return UTF8Scalars.decode(bytes, at: i).0
    }

    // MARK: Output

    /// Appends the chunk whose own text is `own`, prefixed with its overlap.
    mutating func emit(_ own: Range<Int>) {
        var start = own.lowerBound
        if let previous {
            start = overlapStart(previous: previous, ownStart: own.lowerBound)
        }
        let range = start..<own.upperBound
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        chunks.append(TextChunk(ordinal: chunks.count, text: text, byteRange: range))
        previous = range
    }

    /// Where a chunk whose own text starts at `ownStart` begins, so that it repeats up to
    /// `overlap` bytes of the end of `previous` but never all of it.
    func overlapStart(previous: Range<Int>, ownStart: Int) -> Int {
        guard overlap > 0 else { return ownStart }
        let reach = ownStart - overlap
        let window = max(reach, previous.lowerBound + 1)
        var p = window
        while p < previous.upperBound {
            if !isSpace(bytes[p]) && isSpace(bytes[p - 1]) { return p }
            p += 1
        }
        // No word start. When the window ends the previous chunk's only word, repeat
        // nothing rather than a piece of it; when it cuts into a long run without
        // whitespace, start at its first scalar boundary, off grapheme extenders.
        guard reach > previous.lowerBound else { return ownStart }
        p = scalarBoundary(atOrAfter: window, ceiling: previous.upperBound)
        while p < previous.upperBound && !isGoodCut(p) {
            p = scalarBoundary(atOrAfter: p + 1, ceiling: previous.upperBound)
        }
        return p < previous.upperBound ? p : ownStart
    }
}

/// ASCII whitespace: space, tab, line feed, vertical tab, form feed, carriage return.
@inline(__always)
private func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
}

/// A UTF-8 continuation byte, `10xxxxxx`.
@inline(__always)
private func isContinuation(_ byte: UInt8) -> Bool {
    byte & 0xC0 == 0x80
}
