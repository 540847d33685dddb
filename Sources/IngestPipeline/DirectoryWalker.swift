#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One regular file found by a `DirectoryWalker`, or something it could not walk.
public struct WalkEntry: Sendable, Hashable, CustomStringConvertible {
    /// The path relative to the source, '/'-separated, e.g. `docs/a.md`; for a single-file
    /// source, the file's base name. A problem entry for a directory ends in '/' (`docs/`);
    /// a problem with the source itself has the empty path.
    public let relativePath: String
    /// The path to open: the source as given, joined with `relativePath`.
    public let absolutePath: String
    /// The size in bytes when walked (0 for a problem entry).
    public let size: Int64
    /// The modification time in nanoseconds since the Unix epoch (0 for a problem entry).
    public let modifiedNanoseconds: Int64
    /// Why this entry cannot be loaded, or `nil` for a regular file.
    public let problem: String?

    /// Makes an entry.
    /// - Parameters:
    ///   - relativePath: The '/'-separated path relative to the source.
    ///   - absolutePath: The path to open.
    ///   - size: The size in bytes.
    ///   - modifiedNanoseconds: The modification time in nanoseconds since the epoch.
    ///   - problem: Why it cannot be loaded, or `nil`.
    public init(relativePath: String, absolutePath: String, size: Int64, modifiedNanoseconds: Int64, problem: String?) {
        self.relativePath = relativePath
        self.absolutePath = absolutePath
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.problem = problem
    }

    public var description: String {
        if let problem { return "\(relativePath): \(problem)" }
        return "\(relativePath) (\(size) bytes)"
    }
}

/// Walks a source directory's regular files in a total, deterministic order, lazily, and
/// resumes after a checkpoint.
///
/// **Order.** Entries come in ascending byte order of their UTF-8 `relativePath`: each
/// directory's listing is sorted by name bytes, where a subdirectory sorts as its name
/// followed by '/' and its contents come right after it. So `a-b`, `a.txt`, `a/x` come in
/// that order ('-' < '.' < '/'), and the sequence of relative paths is strictly increasing
/// (save that two names which are not valid UTF-8 may repair to the same path).
/// That makes a relative path a valid checkpoint: `entries(after: p)` yields exactly the
/// entries of the full walk that come after `p`.
///
/// **Resuming** skips a subtree without listing it when the whole subtree sorts at or
/// before the checkpoint; only the directories on the checkpoint's own path are listed
/// again. Files' metadata is read only for the entries it yields.
///
/// **Filters.** `exclude` is checked on files and directories (an excluded directory is
/// not entered; a pattern ending in '/' matches directories only); `include`, when not
/// empty, is checked on files only, so directories are always entered.
///
/// **Symbolic links.** With `followSymlinks` (the default) a link to a file is walked as a
/// file and a link to a directory as a directory, under the link's own path. A directory
/// whose (device, inode) is already on the current path (a link to an ancestor, or a bind
/// mount loop) is skipped, so loops terminate. A link whose target is missing, or that
/// loops on itself, is yielded as a problem entry. Without `followSymlinks`, links are
/// skipped. The source itself is always followed if it is a link.
///
/// **What is yielded.** Regular files; FIFOs, sockets and devices are skipped (reading
/// them would block or never end). Problem entries — never a crash — for: a source that
/// is missing or unreadable (path `""`), a directory that cannot be opened or read (its
/// path with a trailing '/', which is where it sorts), a dangling link, and a name that
/// is not valid UTF-8 (neither entered nor read; its path shows U+FFFD). Problem entries
/// obey the order and the checkpoint like any other, so paging with "after the last key"
/// always moves forward: the source's own problem comes only in a walk from the start,
/// and a directory's only when the checkpoint lies before it — a resumed walk whose
/// checkpoint lies inside a directory that has since become unreadable reports nothing
/// for it. Call `sourceProblem()` before resuming to tell a vanished source from an
/// exhausted one. A file that vanishes between listing and yielding is skipped, as if it
/// had been deleted before the walk.
///
/// **Memory.** The walk holds only the sorted listings of the directories on the current
/// path, never the whole tree.
public struct DirectoryWalker: Sendable {
    /// The directory (or single regular file) to walk, as given.
    public let source: String
    /// Files must match one of these to be yielded; empty means every file.
    public var include: [Glob]
    /// Files and directories matching one of these are skipped; directories are not entered.
    public var exclude: [Glob]
    /// Whether to follow symbolic links inside the source.
    public var followSymlinks: Bool

    /// Makes a walker.
    /// - Parameters:
    ///   - source: A directory, or a single regular file (walked as just that file, under
    ///     its base name).
    ///   - include: Globs a file must match one of; empty means all files.
    ///   - exclude: Globs that skip a file, or a directory and everything in it.
    ///   - followSymlinks: Whether to follow symbolic links (loops are always safe).
    public init(source: String, include: [Glob] = [], exclude: [Glob] = [], followSymlinks: Bool = true) {
        self.source = source
        self.include = include
        self.exclude = exclude
        self.followSymlinks = followSymlinks
    }

    /// Checks that the source can be walked now: it exists and is a readable directory or
    /// a regular file.
    ///
    /// A walk reports a broken source as a problem entry only when it starts from the
    /// beginning; a loader resuming after a checkpoint should ask this first, so that a
    /// source that vanished is not mistaken for one with nothing left to walk.
    /// - Returns: Why the source cannot be walked, or `nil` when it can.
    public func sourceProblem() -> String? {
        var iterator = entries().makeIterator()
        return iterator.sourceProblem()
    }

    /// The entries in walk order, after a checkpoint.
    /// - Parameter checkpoint: The `relativePath` of the last entry already handled, or
    ///   `nil` to walk from the start. Entries whose path sorts at or before it are skipped.
    /// - Returns: A lazy sequence; each iteration walks the file system anew.
    public func entries(after checkpoint: String? = nil) -> Entries {
        Entries(walker: self, checkpoint: checkpoint.map { Array($0.utf8) })
    }

    /// A lazy walk; see `DirectoryWalker`.
    public struct Entries: Sequence, Sendable {
        let walker: DirectoryWalker
        let checkpoint: [UInt8]?

        /// Starts a walk; nothing is read until the first `next()`.
        /// - Returns: A fresh iterator.
        public func makeIterator() -> Iterator {
            Iterator(walker: walker, checkpoint: checkpoint)
        }
    }

    /// The walk's state: the sorted listings of the directories on the current path.
    public struct Iterator: IteratorProtocol, Sendable {
        private let walker: DirectoryWalker
        private let root: String
        /// Cleared once the walk has passed it, after which nothing needs comparing.
        private var checkpoint: [UInt8]?
        private var started = false
        private var stack: [Frame] = []

        init(walker: DirectoryWalker, checkpoint: [UInt8]?) {
            self.walker = walker
            self.checkpoint = checkpoint
            var root = walker.source
            while root.count > 1, root.hasSuffix("/") { root.removeLast() }
            self.root = root
        }

        /// Walks on to the next entry, listing directories as it reaches them.
        /// - Returns: The next entry in walk order, or `nil` when the walk is over.
        public mutating func next() -> WalkEntry? {
            if !started {
                started = true
                if let entry = start() { return entry }
            }
            while !stack.isEmpty {
                let top = stack.count - 1
                guard stack[top].next < stack[top].entries.count else {
                    stack.removeLast()
                    continue
                }
                let listed = stack[top].entries[stack[top].next]
                stack[top].next += 1
                if let entry = visit(listed, in: top) { return entry }
            }
            return nil
        }

        // MARK: Steps

        /// Looks at the source: pushes its listing, or returns its single entry or problem.
        private mutating func start() -> WalkEntry? {
            let fromTheStart = checkpoint == nil
            switch openSource() {
            case .failure(let failure):
                return fromTheStart ? problem("", absolute: root, failure.reason) : nil
            case .success(let single?):
                if let checkpoint, !checkpoint.lexicographicallyPrecedes(single.relativePath.utf8) { return nil }
                return single
            case .success(nil):
                return nil
            }
        }

        /// Why the source cannot be walked, or `nil`; lists it if it is a directory.
        mutating func sourceProblem() -> String? {
            if case .failure(let failure) = openSource() { return failure.reason }
            return nil
        }

        /// Pushes the source's listing if it is a directory (success with `nil`), returns the
        /// entry of a single-file source, or the reason it cannot be walked.
        private mutating func openSource() -> Result<WalkEntry?, SourceFailure> {
            let status: PosixFile.Status
            switch PosixFile.status(root, followLinks: true) {
            case .success(let found): status = found
            case .failure(let failure):
                return .failure(SourceFailure("the source \(root) cannot be read: \(failure)"))
            }
            switch status.kind {
            case .directory:
                switch PosixFile.list(root, followLinks: walker.followSymlinks) {
                case .success(let listing):
                    stack.append(Frame(prefix: [], id: listing.id, entries: listing.entries))
                    return .success(nil)
                case .failure(let failure):
                    return .failure(SourceFailure("the source directory \(root) cannot be read: \(failure)"))
                }
            case .regular:
                let name = root.split(separator: "/").last.map(String.init) ?? root
                return .success(WalkEntry(
                    relativePath: name, absolutePath: root, size: status.size,
                    modifiedNanoseconds: status.modifiedNanoseconds, problem: nil
                ))
            default:
                return .failure(SourceFailure("the source \(root) is a \(status.kind), not a directory or a regular file"))
            }
        }

        /// Handles one listed name: returns an entry to yield, pushes a directory, or skips.
        private mutating func visit(_ listed: Listed, in frameIndex: Int) -> WalkEntry? {
            let key = stack[frameIndex].prefix + listed.key
            let relative = String(decoding: stack[frameIndex].prefix, as: UTF8.self) + listed.name
            let isDirectory = listed.key.last == UInt8(ascii: "/")

            if isDirectory {
                // Everything inside sorts after `key` and starts with it; the directory's own
                // problem entry sorts at `key`, so it is due only if the checkpoint is before.
                var checkpointInside = false
                if let checkpoint {
                    if checkpoint.lexicographicallyPrecedes(key) {
                        self.checkpoint = nil
                    } else if checkpoint.starts(with: key) {
                        checkpointInside = true
                    } else {
                        return nil
                    }
                }
                if walker.exclude.contains(where: { $0.matches(relative, isDirectory: true) }) { return nil }
                let absolute = absolutePath(relative)
                switch listed.kind {
                case .badName:
                    guard !checkpointInside else { return nil }
                    return problem(relative + "/", absolute: absolute, "the directory name is not valid UTF-8; not entered")
                case .directory:
                    switch PosixFile.list(absolute, followLinks: walker.followSymlinks) {
                    case .success(let listing):
                        if stack.contains(where: { $0.id == listing.id }) { return nil }  // a loop
                        stack.append(Frame(prefix: key, id: listing.id, entries: listing.entries))
                        return nil
                    case .failure(let failure):
                        guard !checkpointInside else { return nil }
                        return problem(relative + "/", absolute: absolute, "the directory cannot be read: \(failure)")
                    }
                case .file, .brokenLink, .special:
                    return nil
                }
            }

            if let checkpoint {
                guard checkpoint.lexicographicallyPrecedes(key) else { return nil }
                self.checkpoint = nil
            }
            if walker.exclude.contains(where: { $0.matches(relative, isDirectory: false) }) { return nil }
            if !walker.include.isEmpty, !walker.include.contains(where: { $0.matches(relative) }) { return nil }
            let absolute = absolutePath(relative)
            switch listed.kind {
            case .badName:
                return problem(relative, absolute: absolute, "the file name is not valid UTF-8; not read")
            case .brokenLink(let failure):
                return problem(relative, absolute: absolute, "the symbolic link leads nowhere: \(failure)")
            case .special(let kind):
                return problem(relative, absolute: absolute, "a \(kind), not a regular file; not read")
            case .file:
                switch PosixFile.status(absolute, followLinks: walker.followSymlinks) {
                case .success(let status) where status.kind == .regular:
                    return WalkEntry(
                        relativePath: relative, absolutePath: absolute, size: status.size,
                        modifiedNanoseconds: status.modifiedNanoseconds, problem: nil
                    )
                case .success:
                    return nil  // replaced by something else since the listing
                case .failure(let failure) where failure.isNotFound:
                    return nil  // deleted since the listing
                case .failure(let failure):
                    return problem(relative, absolute: absolute, "the file's metadata cannot be read: \(failure)")
                }
            case .directory:
                return nil
            }
        }

        private func absolutePath(_ relative: String) -> String {
            root == "/" ? "/" + relative : root + "/" + relative
        }

        private func problem(_ relative: String, absolute: String, _ reason: String) -> WalkEntry {
            WalkEntry(relativePath: relative, absolutePath: absolute, size: 0, modifiedNanoseconds: 0, problem: reason)
        }
    }
}

// MARK: - Listings

extension DirectoryWalker {
    /// Why the source cannot be walked.
    struct SourceFailure: Error, Sendable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// A directory on the walk's current path and where the walk is in its listing.
    struct Frame: Sendable {
        /// The directory's relative path with a trailing '/', as bytes; empty for the source.
        let prefix: [UInt8]
        let id: PosixFile.FileID
        let entries: [Listed]
        var next = 0

        init(prefix: [UInt8], id: PosixFile.FileID, entries: [Listed]) {
            self.prefix = prefix
            self.id = id
            self.entries = entries
        }
    }

    /// One name in a directory listing.
    struct Listed: Sendable {
        enum Kind: Sendable {
            case file
            case directory
            case brokenLink(PosixFile.Failure)
            /// A FIFO, socket or device: reported, never opened (a FIFO would block a read).
            case special(PosixFile.Kind)
            /// A name that is not valid UTF-8 (a file, or a directory when its key ends in '/').
            case badName
        }

        /// The name as text (invalid UTF-8 repaired with U+FFFD).
        let name: String
        /// The sort key: the name's UTF-8 bytes, plus '/' for a directory.
        let key: [UInt8]
        /// The raw name bytes when they differ from `name`'s, to break ties between repaired names.
        let rawName: [UInt8]?
        let kind: Kind
    }
}

// MARK: - POSIX

/// The few POSIX file calls the loader makes, each turning `errno` into a `Failure`.
enum PosixFile {
    /// A directory's identity, to detect loops.
    struct FileID: Sendable, Hashable {
        let device: UInt64
        let inode: UInt64
    }

    enum Kind: Sendable, Equatable, CustomStringConvertible {
        case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown

        var description: String {
            switch self {
            case .regular: "regular file"
            case .directory: "directory"
            case .symbolicLink: "symbolic link"
            case .fifo: "FIFO (named pipe)"
            case .socket: "socket"
            case .characterDevice: "character device"
            case .blockDevice: "block device"
            case .unknown: "file of unknown type"
            }
        }
    }

    /// What `stat` says about a file.
    struct Status: Sendable {
        let kind: Kind
        let size: Int64
        let modifiedNanoseconds: Int64
        let id: FileID
    }

    /// A failed call: its `errno` and what was being done.
    struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        let code: Int32

        var isNotFound: Bool { code == ENOENT || code == ENOTDIR }

        var description: String { PosixFile.describe(code) }
    }

    /// `strerror` with the number, e.g. "Permission denied (errno 13)".
    static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// Wraps `stat`/`lstat`.
    /// - Parameters:
    ///   - path: The file.
    ///   - followLinks: `stat` when true, `lstat` when false.
    /// - Returns: The status, or the `errno` failure.
    static func status(_ path: String, followLinks: Bool) -> Result<Status, Failure> {
        var info = stat()
        let result = followLinks ? stat(path, &info) : lstat(path, &info)
        guard result == 0 else { return .failure(Failure(code: errno)) }
        return .success(Status(info))
    }

    /// Wraps `fstat`.
    /// - Parameter descriptor: An open file descriptor.
    /// - Returns: The status, or the `errno` failure.
    static func status(descriptor: Int32) -> Result<Status, Failure> {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(Failure(code: errno)) }
        return .success(Status(info))
    }

    /// Wraps `fcntl(F_SETFL)` to make a descriptor's reads blocking.
    /// - Parameter descriptor: An open file descriptor.
    /// - Returns: Success, or the `errno` failure.
    static func clearNonBlocking(_ descriptor: Int32) -> Result<Void, Failure> {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            return .failure(Failure(code: errno))
        }
        return .success(())
    }

    /// Wraps `read`: fills as much of `buffer` as one call gives.
    /// - Parameters:
    ///   - descriptor: An open file descriptor.
    ///   - buffer: Where the bytes go.
    /// - Returns: The number of bytes read, 0 at the end, or -1 with `errno` set.
    static func readBlock(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        read(descriptor, buffer.baseAddress, buffer.count)
    }

    /// Lists a directory, sorted by key, with each name classified.
    ///
    /// Wraps `opendir`, `fstat(dirfd(…))` (for the directory's identity), `readdir` and,
    /// where `d_type` does not say or for links, `lstat`/`stat`.
    /// - Parameters:
    ///   - path: The directory.
    ///   - followLinks: Whether links count as what they point to (else they are left out).
    /// - Returns: The directory's identity and sorted listing, or the `errno` failure.
    static func list(_ path: String, followLinks: Bool) -> Result<(id: FileID, entries: [DirectoryWalker.Listed]), Failure> {
        guard let directory = opendir(path) else { return .failure(Failure(code: errno)) }
        defer { closedir(directory) }
        let id: FileID
        switch status(descriptor: dirfd(directory)) {
        case .success(let status): id = status.id
        case .failure(let failure): return .failure(failure)
        }
        let base = path == "/" ? "" : path

        var entries: [DirectoryWalker.Listed] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return .failure(Failure(code: errno)) }
                break
            }
            let raw: [UInt8] = withUnsafeBytes(of: &entry.pointee.d_name) { bytes in
                Array(bytes.prefix { $0 != 0 })
            }
            if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
            let typeHint = entry.pointee.d_type
            let full = base + "/" + String(decoding: raw, as: UTF8.self)
            if let listed = classify(raw: raw, typeHint: typeHint, fullPath: full, followLinks: followLinks) {
                entries.append(listed)
            }
        }
        entries.sort { lhs, rhs in
            if lhs.key != rhs.key { return lhs.key.lexicographicallyPrecedes(rhs.key) }
            return (lhs.rawName ?? []).lexicographicallyPrecedes(rhs.rawName ?? [])
        }
        return .success((id, entries))
    }

    private static func classify(raw: [UInt8], typeHint: UInt8, fullPath: String, followLinks: Bool) -> DirectoryWalker.Listed? {
        guard let name = String(validating: raw, as: UTF8.self) else {
            // Cannot be opened through a String path; report it, typed by d_type if known.
            let repaired = String(decoding: raw, as: UTF8.self)
            let isDirectory = Int(typeHint) == Int(DT_DIR)
            return DirectoryWalker.Listed(
                name: repaired, key: Array(repaired.utf8) + (isDirectory ? [UInt8(ascii: "/")] : []),
                rawName: raw, kind: .badName
            )
        }
        var kind: Kind
        switch Int(typeHint) {
        case Int(DT_REG): kind = .regular
        case Int(DT_DIR): kind = .directory
        case Int(DT_LNK): kind = .symbolicLink
        default:
            switch status(fullPath, followLinks: false) {
            case .success(let status): kind = status.kind
            case .failure: return nil  // gone since readdir
            }
        }
        if kind == .symbolicLink {
            guard followLinks else { return nil }
            switch status(fullPath, followLinks: true) {
            case .success(let status): kind = status.kind
            case .failure(let failure):
                if case .failure = Self.status(fullPath, followLinks: false) { return nil }  // gone
                return DirectoryWalker.Listed(name: name, key: raw, rawName: nil, kind: .brokenLink(failure))
            }
        }
        switch kind {
        case .regular: return DirectoryWalker.Listed(name: name, key: raw, rawName: nil, kind: .file)
        case .directory: return DirectoryWalker.Listed(name: name, key: raw + [UInt8(ascii: "/")], rawName: nil, kind: .directory)
        case .symbolicLink: return nil
        default: return DirectoryWalker.Listed(name: name, key: raw, rawName: nil, kind: .special(kind))
        }
    }
}

extension PosixFile.Status {
    fileprivate init(_ info: stat) {
        let mode = info.st_mode & S_IFMT
        let kind: PosixFile.Kind =
            switch mode {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFLNK: .symbolicLink
            case S_IFIFO: .fifo
            case S_IFSOCK: .socket
            case S_IFCHR: .characterDevice
            case S_IFBLK: .blockDevice
            default: .unknown
            }
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        self.init(
            kind: kind,
            size: Int64(info.st_size),
            modifiedNanoseconds: Int64(modified.tv_sec) &* 1_000_000_000 &+ Int64(modified.tv_nsec),
            id: PosixFile.FileID(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino))
        )
    }
}
