/// A gitignore-style glob over '/'-separated relative paths.
///
/// - `*` matches any run of characters within one path segment (never a '/').
/// - `**` as a whole segment matches any number of segments, zero included:
///   `**/x.md` matches `x.md` and `a/b/x.md`; `docs/**` matches `docs/a` and `docs/a/b`
///   (and, since zero segments count, `docs` itself — so excluding `docs/**` prunes the
///   directory). Elsewhere `**` means the same as `*`.
/// - `?` matches one character other than '/'.
/// - `[abc]`, `[a-z]`, `[!a]` (or `[^a]`) match one character from, or not from, a set;
///   a `]` right after the opening `[` (or `[!`) is a member, `-` first or last is literal.
/// - `\` makes the next character literal.
/// - A pattern without a '/' (a trailing one aside) matches a path's last segment at any
///   depth: `*.md` matches `docs/a.md`. A pattern with a '/' is anchored at the root; a
///   leading '/' only anchors.
/// - A trailing '/' restricts the pattern to directories (see `matches(_:isDirectory:)`).
///
/// Matching is case-sensitive, compares Unicode scalars, and lets `*` match a leading dot.
/// It is iterative — one backtrack point per level (segments, then characters) — so its
/// cost is bounded by pattern length × path length; no regular-expression engine and no
/// exponential backtracking.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String

    /// Whether the pattern is matched against the whole path (it has a '/').
    public let isAnchored: Bool

    /// Whether the pattern only matches directories (it ends in '/').
    public let isDirectoryOnly: Bool

    private let segments: [Segment]

    /// Parses a pattern.
    /// - Parameter pattern: The glob, e.g. `*.md`, `docs/**/*.txt`, `build/`.
    /// - Throws: `GlobError` for an empty pattern, an unclosed `[`, an empty or reversed
    ///   range in a `[...]`, a '/' inside `[...]`, or a trailing `\`.
    public init(_ pattern: String) throws(GlobError) {
        self.pattern = pattern
        var scalars = Array(pattern.unicodeScalars)
        guard !scalars.isEmpty else { throw GlobError(pattern: pattern, position: 0, reason: "the pattern is empty") }

        var directoryOnly = false
        while let last = scalars.last, last == "/", !Self.endsWithEscape(scalars.dropLast()) {
            scalars.removeLast()
            directoryOnly = true
        }
        var anchored = false
        var start = 0
        while start < scalars.count {
            if scalars[start] == "/" {
                start += 1
                anchored = true
            } else if scalars[start] == ".", start + 1 < scalars.count, scalars[start + 1] == "/" {
                start += 2
                anchored = true
            } else {
                break
            }
        }
        guard start < scalars.count else {
            throw GlobError(pattern: pattern, position: 0, reason: "the pattern names no file or directory")
        }

        let parsed = try Self.parse(scalars, from: start, pattern: pattern)
        self.segments = parsed
        self.isAnchored = anchored || parsed.count > 1
        self.isDirectoryOnly = directoryOnly
    }

    /// Whether a relative path matches, taking it for a file.
    /// - Parameter relativePath: A '/'-separated path relative to the walk's root, e.g.
    ///   `docs/a.md`; a leading `./` and empty segments are ignored.
    /// - Returns: `true` when the pattern matches; always `false` for a directory-only pattern.
    public func matches(_ relativePath: String) -> Bool {
        matches(relativePath, isDirectory: false)
    }

    /// Whether a relative path matches.
    /// - Parameters:
    ///   - relativePath: A '/'-separated path relative to the walk's root.
    ///   - isDirectory: Whether the path names a directory; a pattern ending in '/' only
    ///     matches directories.
    /// - Returns: `true` when the pattern matches.
    public func matches(_ relativePath: String, isDirectory: Bool) -> Bool {
        if isDirectoryOnly && !isDirectory { return false }
        var pathSegments = Self.split(relativePath)
        if let first = pathSegments.first, first.count == 1, first[0] == "." {
            pathSegments.removeFirst()
        }
        guard let last = pathSegments.last else { return false }
        if isAnchored {
            return Self.match(segments, pathSegments)
        }
        return Self.match(segments, [last])
    }

    public var description: String { pattern }

    public static func == (lhs: Glob, rhs: Glob) -> Bool { lhs.pattern == rhs.pattern }

    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}

/// Why a glob pattern could not be parsed.
public struct GlobError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    /// The offset, in Unicode scalars, where the trouble starts.
    public let position: Int
    /// What is wrong, in words.
    public let reason: String

    public var description: String {
        "invalid glob \"\(pattern)\": \(reason) (at character \(position)); "
            + "write \\[ for a literal '[' and \\\\ for a literal '\\'"
    }
}

// MARK: - Parsing

extension Glob {
    fileprivate enum Segment: Sendable {
        /// `**`: any number of whole segments.
        case anySegments
        /// One segment, matched character by character.
        case tokens([Token])
    }

    fileprivate enum Token: Sendable {
        case literal(Unicode.Scalar)
        case anyCharacter
        case anyRun
        case set(CharacterSet)
    }

    fileprivate struct CharacterSet: Sendable {
        var negated: Bool
        var singles: [Unicode.Scalar]
        var ranges: [ClosedRange<UInt32>]

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let member = singles.contains(scalar) || ranges.contains { $0.contains(scalar.value) }
            return member != negated
        }
    }

    /// Whether the scalars end in an odd number of backslashes (so the next one is escaped).
    private static func endsWithEscape(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        var count = 0
        var index = scalars.endIndex
        while index > scalars.startIndex, scalars[index - 1] == "\\" {
            count += 1
            index -= 1
        }
        return count % 2 == 1
    }

    private static func parse(
        _ scalars: [Unicode.Scalar], from start: Int, pattern: String
    ) throws(GlobError) -> [Segment] {
        var segments: [Segment] = []
        var tokens: [Token] = []
        var segmentStart = start
        var index = start

        func finishSegment(at end: Int) {
            defer { tokens = [] }
            if tokens.isEmpty { return }  // empty segment from "a//b"
            let isGlobstar = end - segmentStart >= 2 && scalars[segmentStart..<end].allSatisfy { $0 == "*" }
            if isGlobstar {
                if case .anySegments = segments.last { return }
                segments.append(.anySegments)
            } else {
                segments.append(.tokens(tokens))
            }
        }

        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "/":
                finishSegment(at: index)
                index += 1
                segmentStart = index
            case "\\":
                guard index + 1 < scalars.count else {
                    throw GlobError(pattern: pattern, position: index, reason: "a '\\' at the end escapes nothing")
                }
                guard scalars[index + 1] != "/" else {
                    throw GlobError(pattern: pattern, position: index, reason: "a '/' cannot be escaped")
                }
                tokens.append(.literal(scalars[index + 1]))
                index += 2
            case "*":
                if case .anyRun = tokens.last {} else { tokens.append(.anyRun) }
                index += 1
            case "?":
                tokens.append(.anyCharacter)
                index += 1
            case "[":
                let (set, next) = try parseSet(scalars, openAt: index, pattern: pattern)
                tokens.append(.set(set))
                index = next
            default:
                tokens.append(.literal(scalar))
                index += 1
            }
        }
        finishSegment(at: index)
        return segments
    }

    /// Parses `[...]` starting at the `[`; returns the set and the index after the `]`.
    private static func parseSet(
        _ scalars: [Unicode.Scalar], openAt open: Int, pattern: String
    ) throws(GlobError) -> (CharacterSet, Int) {
        var set = CharacterSet(negated: false, singles: [], ranges: [])
        var index = open + 1
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            set.negated = true
            index += 1
        }
        let firstMember = index
        var members: [(scalar: Unicode.Scalar, escaped: Bool)] = []
        var closed = false
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "]" && index != firstMember {
                closed = true
                index += 1
                break
            }
            if scalar == "/" {
                throw GlobError(pattern: pattern, position: index, reason: "a '/' cannot appear inside [...]")
            }
            if scalar == "\\" {
                guard index + 1 < scalars.count else { break }
                members.append((scalars[index + 1], true))
                index += 2
                continue
            }
            members.append((scalar, false))
            index += 1
        }
        guard closed else {
            throw GlobError(pattern: pattern, position: open, reason: "the '[' is never closed by a ']'")
        }

        var position = 0
        while position < members.count {
            let member = members[position]
            let isRange = position + 2 < members.count && members[position + 1] == ("-", false)
            if isRange {
                let upper = members[position + 2].scalar
                guard member.scalar.value <= upper.value else {
                    throw GlobError(
                        pattern: pattern, position: open,
                        reason: "the range \(member.scalar)-\(upper) in [...] runs backwards"
                    )
                }
                set.ranges.append(member.scalar.value...upper.value)
                position += 3
            } else {
                set.singles.append(member.scalar)
                position += 1
            }
        }
        return (set, index)
    }

    private static func split(_ path: String) -> [[Unicode.Scalar]] {
        var result: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in path.unicodeScalars {
            if scalar == "/" {
                if !current.isEmpty { result.append(current) }
                current = []
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

// MARK: - Matching

extension Glob {
    /// Matches pattern segments against path segments; `**` is the only wildcard at this
    /// level, so the classic single-backtrack-point algorithm is exact.
    private static func match(_ pattern: [Segment], _ path: [[Unicode.Scalar]]) -> Bool {
        var p = 0
        var s = 0
        var starP = -1
        var starS = 0
        while s < path.count {
            if p < pattern.count {
                switch pattern[p] {
                case .anySegments:
                    starP = p
                    starS = s
                    p += 1
                    continue
                case .tokens(let tokens):
                    if matchSegment(tokens, path[s]) {
                        p += 1
                        s += 1
                        continue
                    }
                }
            }
            guard starP >= 0 else { return false }
            starS += 1
            s = starS
            p = starP + 1
        }
        while p < pattern.count, case .anySegments = pattern[p] { p += 1 }
        return p == pattern.count
    }

    /// Matches one segment's tokens against one path segment, with `*` as the wildcard.
    private static func matchSegment(_ tokens: [Token], _ text: [Unicode.Scalar]) -> Bool {
        var t = 0
        var c = 0
        var starT = -1
        var starC = 0
        while c < text.count {
            if t < tokens.count {
                switch tokens[t] {
                case .anyRun:
                    starT = t
                    starC = c
                    t += 1
                    continue
                case .anyCharacter:
                    t += 1
                    c += 1
                    continue
                case .literal(let scalar) where scalar == text[c]:
                    t += 1
                    c += 1
                    continue
                case .set(let set) where set.contains(text[c]):
                    t += 1
                    c += 1
                    continue
                default:
                    break
                }
            }
            guard starT >= 0 else { return false }
            starC += 1
            c = starC
            t = starT + 1
        }
        while t < tokens.count, case .anyRun = tokens[t] { t += 1 }
        return t == tokens.count
    }
}
