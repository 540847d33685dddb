import Foundation
import IngestPipeline
import IngestTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Builds file trees for the loader's tests and runs code as an unprivileged user.
enum LoaderFixture {
    /// Writes `contents` at `relative` under `root`, creating directories on the way.
    static func write(_ root: TemporaryDirectory, _ relative: String, _ contents: String = "text") {
        write(root, relative, bytes: Array(contents.utf8))
    }

    /// Writes raw bytes at `relative` under `root`, creating directories on the way.
    static func write(_ root: TemporaryDirectory, _ relative: String, bytes: [UInt8]) {
        let path = root.appending(relative)
        let parent = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    /// Makes a directory (and its parents) at `relative` under `root`.
    static func makeDirectory(_ root: TemporaryDirectory, _ relative: String) {
        try? FileManager.default.createDirectory(atPath: root.appending(relative), withIntermediateDirectories: true)
    }

    /// Makes a symbolic link at `relative` under `root` pointing at `target` (as written).
    static func link(_ root: TemporaryDirectory, _ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root.appending(relative), withDestinationPath: target)
    }

    /// Makes a FIFO at `relative` under `root`.
    static func fifo(_ root: TemporaryDirectory, _ relative: String) -> Bool {
        mkfifo(root.appending(relative), 0o644) == 0
    }

    /// Creates an empty file whose name is raw (possibly invalid UTF-8) bytes.
    static func rawNamedFile(in root: TemporaryDirectory, name: [UInt8]) -> Bool {
        let path = Array(root.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else { return Int32(-1) }
                return open(base, O_CREAT | O_WRONLY, 0o644)
            }
        }
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }

    /// Whether `runUnprivileged` can make permission checks apply (non-root, or root that
    /// may drop its file-system identity with `setfsuid`).
    static let canDropPrivileges: Bool = {
        if geteuid() != 0 { return true }
        return setFilesystemUser != nil
    }()

    private typealias SetFilesystemUser = @convention(c) (UInt32) -> Int32

    /// glibc's `setfsuid`, which the Swift Glibc module does not export.
    private static let setFilesystemUser: SetFilesystemUser? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setfsuid") else { return nil }
        return unsafeBitCast(symbol, to: SetFilesystemUser.self)
    }()

    /// Runs `body` with file permissions enforced: as root, with this thread's file-system
    /// user set to nobody (65534) — `setfsuid` is per thread and drops CAP_DAC_OVERRIDE —
    /// and restored afterwards. `body` must not suspend.
    static func runUnprivileged<T>(_ body: () throws -> T) rethrows -> T {
        guard geteuid() == 0, let setFilesystemUser else { return try body() }
        _ = setFilesystemUser(65534)
        defer { _ = setFilesystemUser(0) }
        return try body()
    }

    /// Relative paths of a walk.
    static func paths(_ walker: DirectoryWalker, after checkpoint: String? = nil) -> [String] {
        walker.entries(after: checkpoint).map(\.relativePath)
    }

    /// Byte order of two strings' UTF-8.
    static func bytewiseLess(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

/// Walking a source directory: order, filters, links, problems, resuming.
struct DirectoryWalkerTests {
    typealias F = LoaderFixture

    @Test func sortedByteOrderOfRelativePaths() throws {
        let root = TemporaryDirectory("walk-order")
        let files = ["b.txt", "a.txt", "a/x.txt", "a/y/z.txt", "a-b.txt", "a.b/y", "A.txt", "z/ä.txt", "z/z.txt", "_", "a0"]
        for file in files { F.write(root, file) }
        let walked = F.paths(DirectoryWalker(source: root.path))
        #expect(walked == files.sorted(by: F.bytewiseLess))
        // '-' < '.' < '/' < '0': the directory's files sit between "a.txt" and "a0".
        let position = { (path: String) in try #require(walked.firstIndex(of: path)) }
        #expect(try position("a.txt") < position("a/x.txt"))
        #expect(try position("a/y/z.txt") < position("a0"))
        // Walking again gives the same order.
        #expect(F.paths(DirectoryWalker(source: root.path)) == walked)
    }

    @Test func entriesCarryPathSizeAndTime() throws {
        let root = TemporaryDirectory("walk-meta")
        F.write(root, "d/hello.txt", "hello, world")
        let entries = Array(DirectoryWalker(source: root.path + "/").entries())
        let entry = try #require(entries.first)
        #expect(entries.count == 1)
        #expect(entry.relativePath == "d/hello.txt")
        #expect(entry.absolutePath == root.appending("d/hello.txt"))
        #expect(entry.size == 12)
        #expect(entry.problem == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: entry.absolutePath)
        let modified = try #require(attributes[.modificationDate] as? Date)
        let walkedSeconds = Double(entry.modifiedNanoseconds) / 1e9
        #expect(abs(walkedSeconds - modified.timeIntervalSince1970) < 1)
    }

    @Test func includeAndExclude() throws {
        let root = TemporaryDirectory("walk-filter")
        for file in ["a.md", "b.txt", "notes/c.md", "notes/d.tmp.md", "build/e.md", "src/build/f.md", "secret/g.md", "x/secret"] {
            F.write(root, file)
        }
        let walker = DirectoryWalker(
            source: root.path,
            include: [try Glob("*.md"), try Glob("x/*")],
            exclude: [try Glob("build"), try Glob("*.tmp.md"), try Glob("secret/")]
        )
        // "build" prunes both build directories; "secret/" only the directory, not x/secret.
        #expect(F.paths(walker) == ["a.md", "notes/c.md", "x/secret"])

        // Negative control: without the filters everything shows up.
        #expect(F.paths(DirectoryWalker(source: root.path)).count == 8)
    }

    @Test func excludedDirectoryIsNotEntered() throws {
        let root = TemporaryDirectory("walk-prune")
        F.write(root, "keep.txt")
        F.makeDirectory(root, "skip")
        // A dangling link inside: entering "skip" would yield a problem entry for it.
        try F.link(root, "skip/dangling", to: "nowhere")
        let excluded = DirectoryWalker(source: root.path, exclude: [try Glob("skip")])
        #expect(F.paths(excluded) == ["keep.txt"])
        // Negative control: include-only globs still enter the directory.
        let entered = Array(DirectoryWalker(source: root.path, include: [try Glob("*.txt"), try Glob("dangling")]).entries())
        #expect(entered.map(\.relativePath) == ["keep.txt", "skip/dangling"])
        #expect(entered.last?.problem != nil)
    }

    @Test func excludedDirectoryIsNotOpenedWhenUnreadable() throws {
        try #require(F.canDropPrivileges, "cannot drop privileges here")
        let root = TemporaryDirectory("walk-prune-locked")
        F.write(root, "a.txt")
        F.write(root, "locked/b.txt")
        chmod(root.appending("locked"), 0)
        defer { chmod(root.appending("locked"), 0o755) }
        let walker = DirectoryWalker(source: root.path, exclude: [try Glob("locked/")])
        let pruned = F.runUnprivileged { Array(walker.entries()) }
        #expect(pruned.map(\.relativePath) == ["a.txt"])
        #expect(pruned.allSatisfy { $0.problem == nil })
        // Negative control: unexcluded, the locked directory is reported.
        let unpruned = F.runUnprivileged { Array(DirectoryWalker(source: root.path).entries()) }
        #expect(unpruned.map(\.relativePath) == ["a.txt", "locked/"])
    }

    @Test func globstarInclude() throws {
        let root = TemporaryDirectory("walk-globstar")
        for file in ["top.md", "docs/a.md", "docs/c.txt", "docs/x/y/b.md", "other/docs/z.md"] { F.write(root, file) }
        let walker = DirectoryWalker(source: root.path, include: [try Glob("docs/**/*.md")])
        #expect(F.paths(walker) == ["docs/a.md", "docs/x/y/b.md"])
        let anywhere = DirectoryWalker(source: root.path, include: [try Glob("**/docs/*.md")])
        #expect(F.paths(anywhere) == ["docs/a.md", "other/docs/z.md"])
    }

    @Test func symlinkLoopTerminatesAndYieldsEachFileOnce() throws {
        let root = TemporaryDirectory("walk-loop")
        F.write(root, "dir/f.txt")
        F.write(root, "dir/sub/g.txt")
        F.write(root, "top.txt")
        try F.link(root, "dir/up", to: "..")  // back to the source
        try F.link(root, "dir/self", to: ".")  // to its own directory
        try F.link(root, "dir/sub/loop", to: "../..")  // two levels up
        let walked = F.paths(DirectoryWalker(source: root.path))
        #expect(walked == ["dir/f.txt", "dir/sub/g.txt", "top.txt"])

        // Negative control: the links do lead back (the same inode as the source).
        let viaLink = try FileManager.default.attributesOfItem(atPath: root.appending("dir/sub/loop/."))
        let source = try FileManager.default.attributesOfItem(atPath: root.path)
        #expect(viaLink[.systemFileNumber] as? Int == source[.systemFileNumber] as? Int)
    }

    @Test func linksToDirectoriesOffThePathAreWalked() throws {
        let root = TemporaryDirectory("walk-links")
        F.write(root, "a/f.txt")
        F.write(root, "b/g.txt")
        try F.link(root, "a/up", to: "..")  // to an ancestor: cut
        try F.link(root, "b/around", to: "../a")  // to a sibling: walked under its own path
        try F.link(root, "c", to: "b")

        let walked = F.paths(DirectoryWalker(source: root.path))
        // Inside b/around (which is a), "up" leads to the source, which is on the path: cut.
        #expect(walked == ["a/f.txt", "b/around/f.txt", "b/g.txt", "c/around/f.txt", "c/g.txt"])

        // Without following, links are skipped.
        #expect(F.paths(DirectoryWalker(source: root.path, followSymlinks: false)) == ["a/f.txt", "b/g.txt"])
    }

    @Test func symlinkedFileIsFollowed() throws {
        let root = TemporaryDirectory("walk-filelink")
        F.write(root, "real.txt", "12345")
        try F.link(root, "alias.txt", to: "real.txt")
        let entries = Array(DirectoryWalker(source: root.path).entries())
        #expect(entries.map(\.relativePath) == ["alias.txt", "real.txt"])
        #expect(entries.map(\.size) == [5, 5])
        #expect(entries.allSatisfy { $0.problem == nil })
    }

    @Test func danglingSymlinkIsAProblemEntry() throws {
        let root = TemporaryDirectory("walk-dangling")
        F.write(root, "a.txt")
        try F.link(root, "broken", to: "missing-target")
        try F.link(root, "selfloop", to: "selfloop")
        F.write(root, "z.txt")
        let entries = Array(DirectoryWalker(source: root.path).entries())
        #expect(entries.map(\.relativePath) == ["a.txt", "broken", "selfloop", "z.txt"])
        let broken = try #require(entries.first { $0.relativePath == "broken" })
        #expect(broken.problem?.contains("leads nowhere") == true)
        #expect(broken.problem?.contains("No such file") == true)
        let selfLoop = try #require(entries.first { $0.relativePath == "selfloop" })
        #expect(selfLoop.problem?.contains("symbolic links") == true)
        #expect(entries.filter { $0.problem != nil }.count == 2)
    }

    /// A FIFO is reported, never opened (a read would block): the user learns it was not ingested.
    @Test func specialFilesAreProblemEntries() throws {
        let root = TemporaryDirectory("walk-fifo")
        F.write(root, "a.txt")
        #expect(F.fifo(root, "pipe"))
        let entries = Array(DirectoryWalker(source: root.path).entries())
        #expect(entries.map(\.relativePath) == ["a.txt", "pipe"])
        #expect(entries[0].problem == nil)
        #expect(entries[1].problem?.contains("FIFO") == true)
    }

    @Test func nonUTF8NameIsAProblemEntry() throws {
        let root = TemporaryDirectory("walk-badname")
        F.write(root, "a.txt")
        try #require(F.rawNamedFile(in: root, name: [0x62, 0xFF, 0x2E, 0x74]))
        let entries = Array(DirectoryWalker(source: root.path).entries())
        #expect(entries.map(\.relativePath) == ["a.txt", "b\u{FFFD}.t"])
        #expect(entries.last?.problem?.contains("not valid UTF-8") == true)
    }

    @Test func unreadableDirectoryIsAProblemEntry() throws {
        try #require(F.canDropPrivileges, "cannot drop privileges here")
        let root = TemporaryDirectory("walk-locked")
        F.write(root, "a.txt")
        F.write(root, "locked/b.txt")
        F.write(root, "m.txt")
        chmod(root.appending("locked"), 0)
        defer { chmod(root.appending("locked"), 0o755) }

        let entries = F.runUnprivileged { Array(DirectoryWalker(source: root.path).entries()) }
        #expect(entries.map(\.relativePath) == ["a.txt", "locked/", "m.txt"])
        #expect(entries[1].problem?.contains("Permission denied") == true)

        // The problem sorts at "locked/": resuming at or after it does not repeat it, so
        // paging by "after the last key" always moves on.
        let walker = DirectoryWalker(source: root.path)
        #expect(F.runUnprivileged { F.paths(walker, after: "locked") } == ["locked/", "m.txt"])
        #expect(F.runUnprivileged { F.paths(walker, after: "locked/") } == ["m.txt"])
        #expect(F.runUnprivileged { F.paths(walker, after: "locked/b.txt") } == ["m.txt"])
        #expect(F.runUnprivileged { F.paths(walker, after: "locked0") } == ["m.txt"])

        // Negative control: with privileges the directory is read.
        #expect(F.paths(DirectoryWalker(source: root.path)) == ["a.txt", "locked/b.txt", "m.txt"])
    }

    @Test func resumeYieldsExactlyTheSuffix() throws {
        let root = TemporaryDirectory("walk-resume")
        let files = [
            "a", "a-b", "a.txt", "b/a", "b/b/c", "b/b/d", "b/b0", "b-", "b.x/y", "c/d/e/f", "c/g", "é", "z",
        ]
        for file in files { F.write(root, file) }
        F.makeDirectory(root, "empty")
        F.makeDirectory(root, "c/emptier")
        let walker = DirectoryWalker(source: root.path)
        let full = F.paths(walker)
        #expect(full == files.sorted(by: F.bytewiseLess))

        // Every path and every prefix of every path (directory names with and without '/')
        // as a checkpoint, plus a few strings that sort before or after everything.
        var checkpoints: Set<String> = ["", "\u{1}", "\u{10FFFF}", "empty", "empty/", "c/emptier/x", "zz"]
        for path in full {
            let bytes = Array(path.utf8)
            for length in 1...bytes.count {
                if let prefix = String(validating: bytes[..<length], as: UTF8.self) { checkpoints.insert(prefix) }
            }
        }
        for checkpoint in checkpoints.sorted() {
            let expected = full.filter { F.bytewiseLess(checkpoint, $0) }
            #expect(F.paths(walker, after: checkpoint) == expected, "after \(checkpoint)")
        }
        // In particular: after each entry, exactly the rest of the walk.
        for (index, path) in full.enumerated() {
            #expect(F.paths(walker, after: path) == Array(full[(index + 1)...]))
        }
    }

    @Test func resumeKeepsFilters() throws {
        let root = TemporaryDirectory("walk-resume-filter")
        for file in ["a.md", "b/c.md", "b/d.txt", "e.md"] { F.write(root, file) }
        let walker = DirectoryWalker(source: root.path, include: [try Glob("*.md")])
        #expect(F.paths(walker, after: "b/c.md") == ["e.md"])
        #expect(F.paths(walker, after: "a.md") == ["b/c.md", "e.md"])
    }

    @Test func singleFileSource() throws {
        let root = TemporaryDirectory("walk-single")
        F.write(root, "only.md", "# hi")
        let walker = DirectoryWalker(source: root.appending("only.md"))
        let entries = Array(walker.entries())
        #expect(entries.map(\.relativePath) == ["only.md"])
        #expect(entries.first?.absolutePath == root.appending("only.md"))
        #expect(entries.first?.size == 4)
        #expect(F.paths(walker, after: "only.md").isEmpty)
        #expect(F.paths(walker, after: "a") == ["only.md"])
    }

    @Test func missingSourceIsAProblemEntry() throws {
        let root = TemporaryDirectory("walk-missing")
        let walker = DirectoryWalker(source: root.appending("nope"))
        let entries = Array(walker.entries())
        #expect(entries.count == 1)
        #expect(entries.first?.relativePath == "")
        #expect(entries.first?.problem?.contains("No such file") == true)
        // Resuming reports nothing (the problem sorts first); sourceProblem() tells.
        #expect(Array(walker.entries(after: "m")).isEmpty)
        #expect(walker.sourceProblem()?.contains("No such file") == true)
        // Negative control: a source that is there has no problem.
        #expect(DirectoryWalker(source: root.path).sourceProblem() == nil)
    }

    @Test func fifoSourceIsAProblemEntry() throws {
        let root = TemporaryDirectory("walk-fifo-source")
        try #require(F.fifo(root, "pipe"))
        let walker = DirectoryWalker(source: root.appending("pipe"))
        #expect(Array(walker.entries()).map(\.problem) == ["the source \(root.appending("pipe")) is a FIFO (named pipe), not a directory or a regular file"])
    }

    /// The runner pages through the walk asking for items after the last key it got; with
    /// problem entries in the mix that must still cover the walk once and end.
    @Test func pagingByLastKeyCoversTheWalkOnce() throws {
        let root = TemporaryDirectory("walk-paging")
        for file in ["a.txt", "b/c.txt", "b/d/e.txt", "b-x", "f/g.txt", "z.txt"] { F.write(root, file) }
        try F.link(root, "b/dangling", to: "nowhere")
        try F.link(root, "b/d/up", to: "../..")
        try #require(F.rawNamedFile(in: root, name: [0x62, 0x78, 0xFE]))
        let locking = F.canDropPrivileges
        if locking { chmod(root.appending("f"), 0) }
        defer { chmod(root.appending("f"), 0o755) }

        let walker = DirectoryWalker(source: root.path)
        let full = F.runUnprivileged { F.paths(walker) }
        #expect(full == full.sorted(by: F.bytewiseLess))
        #expect(Set(full).count == full.count)
        #expect(full.contains("b/dangling") && full.contains("bx\u{FFFD}"))
        if locking { #expect(full.contains("f/")) }
        for limit in 1...3 {
            var paged: [String] = []
            var checkpoint: String?
            var calls = 0
            while calls < 100 {
                calls += 1
                let page = F.runUnprivileged { Array(walker.entries(after: checkpoint).prefix(limit)) }
                if page.isEmpty { break }
                paged += page.map(\.relativePath)
                checkpoint = page.last?.relativePath
            }
            #expect(paged == full, "limit \(limit)")
            #expect(calls < 100)
        }
    }

    @Test func walkIsLazy() throws {
        let root = TemporaryDirectory("walk-lazy")
        F.write(root, "a/1.txt")
        F.write(root, "b/2.txt")
        F.makeDirectory(root, "c")
        var iterator = DirectoryWalker(source: root.path).entries().makeIterator()
        #expect(iterator.next()?.relativePath == "a/1.txt")
        // Directories not yet reached are listed only when the walk gets there; one already
        // left behind is not looked at again.
        F.write(root, "a/0.txt")
        F.write(root, "b/3.txt")
        F.write(root, "c/4.txt")
        #expect(iterator.next()?.relativePath == "b/2.txt")
        #expect(iterator.next()?.relativePath == "b/3.txt")
        #expect(iterator.next()?.relativePath == "c/4.txt")
        #expect(iterator.next() == nil)
    }
}
