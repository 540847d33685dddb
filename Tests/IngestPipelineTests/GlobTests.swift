import IngestPipeline
import IngestTestSupport
import Testing

/// gitignore-style globs over relative paths.
struct GlobTests {
    static let cases: [(pattern: String, path: String, matches: Bool)] = [
        // A pattern without '/' matches the base name at any depth.
        ("*.md", "a.md", true),
        ("*.md", "docs/a.md", true),
        ("*.md", "docs/deep/a.md", true),
        ("*.md", "a.mdx", false),
        ("*.md", "docs.md/a.txt", false),
        ("*", ".hidden", true),
        ("README", "sub/README", true),
        ("README", "README.md", false),
        // '*' stays within one segment.
        ("docs/*.md", "docs/a.md", true),
        ("docs/*.md", "docs/x/a.md", false),
        ("docs/*", "docs/a", true),
        ("a*b", "axxb", true),
        ("a*b", "ab", true),
        ("a*b", "a/b", false),
        ("*a*b*c", "xaybzc", true),
        ("*a*b*c", "xaybz", false),
        // A '/' anchors at the root.
        ("docs/a.md", "x/docs/a.md", false),
        ("/a.md", "a.md", true),
        ("/a.md", "x/a.md", false),
        ("./a.md", "a.md", true),
        // '**' spans any number of segments, zero included.
        ("**/x.md", "x.md", true),
        ("**/x.md", "a/x.md", true),
        ("**/x.md", "a/b/x.md", true),
        ("**/x.md", "a/b/y.md", false),
        ("docs/**/*.md", "docs/a.md", true),
        ("docs/**/*.md", "docs/x/y/a.md", true),
        ("docs/**/*.md", "other/docs/a.md", false),
        ("docs/**", "docs/a", true),
        ("docs/**", "docs/a/b/c", true),
        ("docs/**", "docsx/a", false),
        ("a/**/b/**/c", "a/b/c", true),
        ("a/**/b/**/c", "a/x/b/y/z/c", true),
        ("a/**/b/**/c", "a/x/c", false),
        ("**", "anything/at/all", true),
        ("a**b", "axyb", true),
        ("a**b", "ax/yb", false),
        // '?' is one non-'/' character.
        ("?.txt", "a.txt", true),
        ("?.txt", "ab.txt", false),
        ("a?b", "a/b", false),
        ("?", "é", true),
        // Sets.
        ("[abc].txt", "b.txt", true),
        ("[abc].txt", "d.txt", false),
        ("[a-z].txt", "q.txt", true),
        ("[a-z].txt", "Q.txt", false),
        ("[!a].txt", "a.txt", false),
        ("[!a].txt", "b.txt", true),
        ("[^a].txt", "b.txt", true),
        ("[]a]", "]", true),
        ("[!]a]", "]", false),
        ("[a-]", "-", true),
        ("[-a]", "-", true),
        ("file[0-9][0-9]", "file42", true),
        ("file[0-9][0-9]", "file4x", false),
        // Escapes.
        ("\\*.md", "*.md", true),
        ("\\*.md", "a.md", false),
        ("\\[x]", "[x]", true),
        // Case matters; empty segments and a leading "./" in the path are ignored.
        ("*.MD", "a.md", false),
        ("docs/a.md", "./docs/a.md", true),
        ("docs/a.md", "docs//a.md", true),
    ]

    @Test(arguments: 0..<cases.count)
    func matching(_ index: Int) throws {
        let (pattern, path, expected) = Self.cases[index]
        let glob = try Glob(pattern)
        #expect(glob.matches(path) == expected, "\(pattern) vs \(path)")
    }

    @Test func trailingSlashMatchesDirectoriesOnly() throws {
        let glob = try Glob("build/")
        #expect(glob.isDirectoryOnly)
        #expect(glob.matches("build", isDirectory: true))
        #expect(glob.matches("src/build", isDirectory: true))
        #expect(!glob.matches("build", isDirectory: false))
        #expect(!glob.matches("build"))
        // Without the slash, files match too.
        #expect(try Glob("build").matches("build"))
    }

    @Test(arguments: [
        ("[abc", "never closed"),
        ("a/[b", "never closed"),
        ("[z-a]", "backwards"),
        ("[a/b]", "'/'"),
        ("abc\\", "escapes nothing"),
        ("a\\/b", "cannot be escaped"),
        ("", "empty"),
        ("/", "names no file"),
    ])
    func malformedPatterns(_ pattern: String, _ reasonFragment: String) {
        #expect {
            _ = try Glob(pattern)
        } throws: { error in
            guard let error = error as? GlobError else { return false }
            return error.pattern == pattern && error.description.contains(reasonFragment)
        }
    }

    @Test func unclosedBracketSaysWhere() {
        do {
            _ = try Glob("docs/*.[md")
            Issue.record("an unclosed '[' was accepted")
        } catch {
            #expect(error.position == 7)
            #expect(error.description.contains("docs/*.[md"))
        }
    }

    /// Patterns that make a backtracking matcher explode finish at once here.
    @Test func noExponentialBacktracking() throws {
        let stars = try Glob(String(repeating: "*a", count: 30) + "b")
        let text = String(repeating: "a", count: 5000)
        let globstars = try Glob(String(repeating: "**/a/", count: 20) + "b")
        let deep = Array(repeating: "a", count: 500).joined(separator: "/")
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(!stars.matches(text))
            #expect(stars.matches(text + "b"))
            #expect(!globstars.matches(deep))
            #expect(globstars.matches(deep + "/b"))
        }
        // Exponential backtracking would take hours; the bound only scales for sanitized builds.
        #expect(elapsed < TestTime.scaled(.seconds(10)))
    }

    @Test func equalityFollowsThePattern() throws {
        #expect(try Glob("*.md") == Glob("*.md"))
        #expect(try Glob("*.md") != Glob("*.txt"))
        #expect(try Set([Glob("a"), Glob("a"), Glob("b")]).count == 2)
    }
}
