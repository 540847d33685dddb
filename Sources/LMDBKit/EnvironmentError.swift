/// A problem opening an environment that is not a bare LMDB return code: it names the
/// path and says what to do.
public struct EnvironmentError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable {
        case notADirectory
        case missing
        case networkFileSystem(String)
        case truncated(expected: Int, actual: Int)
        case damagedMeta(String)
        case lockFileInUse(LMDBError)
        case lockFileNotWritable
        case openedDifferently
        case lmdb(operation: String, LMDBError)
    }

    private let kind: Kind
    /// The store directory the problem is about.
    public let path: String

    private init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    static func notADirectory(_ path: String) -> Self { .init(.notADirectory, path: path) }
    static func missing(_ path: String) -> Self { .init(.missing, path: path) }
    static func networkFileSystem(_ path: String, type: String) -> Self {
        .init(.networkFileSystem(type), path: path)
    }
    static func truncated(_ path: String, expected: Int, actual: Int) -> Self {
        .init(.truncated(expected: expected, actual: actual), path: path)
    }
    static func damagedMeta(_ path: String, _ detail: String) -> Self { .init(.damagedMeta(detail), path: path) }
    static func lockFileInUse(_ path: String, _ code: LMDBError) -> Self { .init(.lockFileInUse(code), path: path) }
    static func lockFileNotWritable(_ path: String) -> Self { .init(.lockFileNotWritable, path: path) }
    static func openedDifferently(_ path: String) -> Self { .init(.openedDifferently, path: path) }
    static func lmdb(_ path: String, _ operation: String, _ code: LMDBError) -> Self {
        .init(.lmdb(operation: operation, code), path: path)
    }

    /// The LMDB code behind the problem, if there is one.
    public var code: LMDBError? {
        if case .lmdb(_, let code) = kind { return code }
        return nil
    }

    /// True when the directory or its files do not exist.
    public var isMissing: Bool {
        switch kind {
        case .missing: true
        case .lmdb(_, let code): code == .noSuchFile
        default: false
        }
    }

    /// True when the path exists but is a file, not a directory.
    public var isNotADirectory: Bool {
        if case .notADirectory = kind { return true }
        return false
    }

    /// True when the files are there but are not a readable LMDB environment.
    public var meansDamagedFile: Bool {
        switch kind {
        case .truncated, .damagedMeta: true
        case .lmdb(_, let code): code.meansDamagedFile
        default: false
        }
    }

    /// True when `lock.mdb` is not a lock file LMDB can use and another process holds it, so
    /// LMDB may not rebuild it (it rebuilds it when it is the only user).
    public var meansUnusableLockFile: Bool {
        if case .lockFileInUse = kind { return true }
        return false
    }

    /// True when the store cannot be written because of permissions or a read-only mount.
    public var meansNotWritable: Bool {
        switch kind {
        case .lmdb(_, let code): code == .permissionDenied || code == .readOnlyFileSystem
        case .lockFileNotWritable: true
        default: false
        }
    }

    /// What is wrong in a few words, without the path or advice: for wrapping in a
    /// caller's own message.
    public var problem: String {
        switch kind {
        case .truncated(let expected, let actual): "data.mdb is truncated: \(actual) bytes, the store needs \(expected)"
        case .damagedMeta(let detail): detail
        case .lmdb(_, let code): code.damageDescription
        case .lockFileNotWritable: "lock.mdb is not writable and another process has the store open"
        default: description
        }
    }

    /// What failed, where, and what to do about it.
    public var description: String {
        switch kind {
        case .notADirectory:
            "\(path) is a file, not a store directory; pass a directory path"
        case .missing:
            "no store at \(path); submit a job first or check --store"
        case .networkFileSystem(let type):
            "\(path) is on a network file system (\(type)); LMDB's locking does not work there, use a local disk"
        case .truncated(let expected, let actual):
            "\(path)/data.mdb is truncated (\(actual) bytes, the store needs \(expected)); restore it from a backup"
        case .lockFileInUse(let code):
            "\(path)/lock.mdb is not a lock file this LMDB can use (\(code)) and another process has the store open, "
                + "so it cannot be rebuilt; stop the processes using the store and run again (data.mdb was not touched)"
        case .lockFileNotWritable:
            "\(path)/lock.mdb is not writable for this user and another process has the store open; reading without "
                + "LMDB's lock could see pages that process is rewriting — read it as the store's owner, or when nothing else uses it"
        case .damagedMeta(let detail):
            "\(path)/data.mdb has a damaged meta page (\(detail)); restore it from a backup"
        case .openedDifferently:
            "\(path) is already open read-only in this process and cannot be reopened for writing"
        case .lmdb(let operation, let code):
            "\(operation) \(path): \(code)" + (code.hint.map { "; \($0)" } ?? "")
        }
    }
}
