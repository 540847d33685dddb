internal import CLMDB

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A return code from an LMDB call: one of the `MDB_*` codes or an `errno` value.
///
/// Modelled after `Errno` in swift-system: named static members for the codes a caller
/// may want to handle, `description` from `mdb_strerror`, and `~=` so that
/// `catch LMDBError.mapFull` works.
public struct LMDBError: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The LMDB return code (an `MDB_*` constant or an `errno` value).
    public let rawValue: Int32

    /// The error for an LMDB return code.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `MDB_KEYEXIST`: key/data pair already exists.
    public static let keyExists = LMDBError(rawValue: MDB_KEYEXIST)
    /// `MDB_NOTFOUND`: no matching key. The wrapper turns this into `nil` wherever it can.
    public static let notFound = LMDBError(rawValue: MDB_NOTFOUND)
    /// `MDB_PAGE_NOTFOUND`: a requested page was not found — the file is damaged.
    public static let pageNotFound = LMDBError(rawValue: MDB_PAGE_NOTFOUND)
    /// `MDB_CORRUPTED`: located a page of the wrong type — the file is damaged.
    public static let corrupted = LMDBError(rawValue: MDB_CORRUPTED)
    /// `MDB_PANIC`: a fatal error; the environment must be closed.
    public static let panic = LMDBError(rawValue: MDB_PANIC)
    /// `MDB_VERSION_MISMATCH`: the file was written by an incompatible LMDB version.
    public static let versionMismatch = LMDBError(rawValue: MDB_VERSION_MISMATCH)
    /// `MDB_INVALID`: the file is not an LMDB data file.
    public static let invalid = LMDBError(rawValue: MDB_INVALID)
    /// `MDB_MAP_FULL`: the environment's map size is reached.
    public static let mapFull = LMDBError(rawValue: MDB_MAP_FULL)
    /// `MDB_DBS_FULL`: the environment's maximum number of named databases is reached.
    public static let databasesFull = LMDBError(rawValue: MDB_DBS_FULL)
    /// `MDB_READERS_FULL`: the environment's reader table is full.
    public static let readersFull = LMDBError(rawValue: MDB_READERS_FULL)
    /// `MDB_TLS_FULL`: too many thread-local keys in use.
    public static let tlsFull = LMDBError(rawValue: MDB_TLS_FULL)
    /// `MDB_TXN_FULL`: the transaction has too many dirty pages.
    public static let transactionFull = LMDBError(rawValue: MDB_TXN_FULL)
    /// `MDB_CURSOR_FULL`: the cursor stack is too deep — the file is damaged.
    public static let cursorFull = LMDBError(rawValue: MDB_CURSOR_FULL)
    /// `MDB_PAGE_FULL`: a page has no more space — internal error.
    public static let pageFull = LMDBError(rawValue: MDB_PAGE_FULL)
    /// `MDB_MAP_RESIZED`: another process grew the map beyond this one's size.
    public static let mapResized = LMDBError(rawValue: MDB_MAP_RESIZED)
    /// `MDB_INCOMPATIBLE`: the operation and the database's flags disagree.
    public static let incompatible = LMDBError(rawValue: MDB_INCOMPATIBLE)
    /// `MDB_BAD_RSLOT`: invalid reuse of a reader slot.
    public static let badReaderSlot = LMDBError(rawValue: MDB_BAD_RSLOT)
    /// `MDB_BAD_TXN`: the transaction must abort, has a child, or is invalid.
    public static let badTransaction = LMDBError(rawValue: MDB_BAD_TXN)
    /// `MDB_BAD_VALSIZE`: a key or value has an unsupported size.
    public static let badValueSize = LMDBError(rawValue: MDB_BAD_VALSIZE)
    /// `MDB_BAD_DBI`: the database handle was changed unexpectedly.
    public static let badDatabase = LMDBError(rawValue: MDB_BAD_DBI)

    /// `ENOSPC`: the disk is full.
    public static let noSpace = LMDBError(rawValue: ENOSPC)
    /// `EACCES`: permission denied.
    public static let permissionDenied = LMDBError(rawValue: EACCES)
    /// `EROFS`: the file system is mounted read-only.
    public static let readOnlyFileSystem = LMDBError(rawValue: EROFS)
    /// `ENOENT`: no such file or directory.
    public static let noSuchFile = LMDBError(rawValue: ENOENT)
    /// `EIO`: a low-level I/O error.
    public static let ioError = LMDBError(rawValue: EIO)
    /// `EAGAIN`: the lock file is locked by another process in an incompatible mode.
    public static let wouldBlock = LMDBError(rawValue: EAGAIN)
    /// `ENOMEM`: out of memory, or the map could not be reserved.
    public static let noMemory = LMDBError(rawValue: ENOMEM)
    /// `EINVAL`: an invalid parameter.
    public static let invalidArgument = LMDBError(rawValue: EINVAL)

    /// What LMDB (or the C library, for `errno` values) says the code means.
    public var description: String {
        String(cString: mdb_strerror(rawValue))
    }

    /// True for codes that mean the file itself is damaged or not an LMDB file.
    public var meansDamagedFile: Bool {
        switch self {
        // LMDB flags a transaction as failed (`MDB_BAD_TXN` from then on) after it met a
        // bad page in places that do not report it themselves, such as opening a cursor.
        // `MDB_INCOMPATIBLE` too: the stores open every database with the flags it was
        // created with, so a database record or node whose flags disagree is damaged.
        case .invalid, .corrupted, .pageNotFound, .cursorFull, .versionMismatch, .panic, .badTransaction, .pageFull, .incompatible: true
        default: false
        }
    }

    /// For a code that means damage (`meansDamagedFile`): what LMDB ran into, in words a
    /// person can act on; otherwise the plain description.
    public var damageDescription: String {
        switch self {
        case .pageNotFound: "a page number points past the end of the data (MDB_PAGE_NOTFOUND)"
        case .corrupted: "a page or record points outside the file or is of the wrong type (MDB_CORRUPTED)"
        case .badTransaction: "LMDB met a bad page while reading (MDB_BAD_TXN)"
        case .cursorFull: "a B-tree is deeper than LMDB allows, so its pages loop (MDB_CURSOR_FULL)"
        case .invalid: "data.mdb is not an LMDB file (MDB_INVALID)"
        case .versionMismatch: "data.mdb was written by an incompatible LMDB version (MDB_VERSION_MISMATCH)"
        case .panic: "LMDB stopped after a fatal error (MDB_PANIC)"
        case .pageFull: "a page's free-space bounds are wrong, so LMDB found no room where there should be (MDB_PAGE_FULL)"
        case .incompatible: "a database record or node has flags that disagree with the database (MDB_INCOMPATIBLE)"
        default: description
        }
    }

    /// True for codes that mean there is no room left: the map or the disk.
    public var meansNoSpace: Bool {
        self == .mapFull || self == .noSpace
    }

    /// What a person can do about it, where there is something to say.
    public var hint: String? {
        switch self {
        case .mapFull: "the store reached its maximum map size; raise the maximum or remove old jobs"
        case .noSpace: "the disk is full; free some space and run again"
        case .readersFull: "too many processes have the store open; stop some and try again"
        case .invalid, .versionMismatch: "the file is not an LMDB store this build can read; check the path"
        case .corrupted, .pageNotFound, .cursorFull, .panic, .badTransaction, .pageFull, .incompatible: "the store is damaged; restore it from a backup"
        case .permissionDenied: "check the permissions of the store directory and its files"
        case .readOnlyFileSystem: "remount it read-write, or copy the store to a writable path"
        default: nil
        }
    }

    /// Matches an error against a code, so `catch LMDBError.mapFull` works.
    public static func ~= (code: LMDBError, error: any Error) -> Bool {
        (error as? LMDBError) == code
    }
}

/// Turns an LMDB return code into a thrown `LMDBError`; every `mdb_*` call goes through here.
@inline(__always)
func check(_ code: Int32) throws(LMDBError) {
    if code != MDB_SUCCESS { throw LMDBError(rawValue: code) }
}
