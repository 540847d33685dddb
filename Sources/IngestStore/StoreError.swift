public import IngestCore
public import LMDBKit

/// Something the store refused or could not do, with what a person needs to act on it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// The kind of trouble, for choosing an exit code or a reaction.
    public enum Category: Sendable, Equatable {
        /// No store, job or phase by that name.
        case notFound
        /// The request conflicts with the job as it stands (illegal transition, id taken).
        case conflict
        /// The store's files are damaged, foreign, or from a newer version.
        case damaged
        /// The store cannot be created or opened for writing here.
        case cannotCreate
        /// The disk or the store's maximum size is full.
        case noSpace
        /// Reading or writing the files failed.
        case io
        /// Another process holds the store in a way that rules this out for now.
        case busy
    }

    private enum Kind: Sendable {
        case noStore(path: String)
        case cannotCreate(path: String, why: String)
        case damaged(path: String, why: String)
        case foreign(path: String)
        case newerSchema(path: String, found: UInt32, supported: UInt32)
        case jobNotFound(JobID)
        case phaseNotFound(JobID, String)
        case jobExists(JobID, source: String)
        case transition(JobID, TransitionError)
        case held(JobID, action: String)
        case corruptRecord(database: String, key: String, RecordError)
        case noSpace(path: String, LMDBError)
        case io(path: String, LMDBError)
        case readOnly(path: String)
        case busy(path: String, why: String)
        case lockFile(why: String)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    static func noStore(_ path: String) -> Self { .init(.noStore(path: path)) }
    static func cannotCreate(_ path: String, _ why: String) -> Self { .init(.cannotCreate(path: path, why: why)) }
    static func damaged(_ path: String, _ why: String) -> Self { .init(.damaged(path: path, why: why)) }
    static func foreign(_ path: String) -> Self { .init(.foreign(path: path)) }
    static func newerSchema(_ path: String, found: UInt32, supported: UInt32) -> Self {
        .init(.newerSchema(path: path, found: found, supported: supported))
    }
    /// There is no job `id` in the store.
    public static func jobNotFound(_ id: JobID) -> Self { .init(.jobNotFound(id)) }
    static func phaseNotFound(_ id: JobID, _ phase: String) -> Self { .init(.phaseNotFound(id, phase)) }
    static func jobExists(_ id: JobID, source: String) -> Self { .init(.jobExists(id, source: source)) }
    static func transition(_ id: JobID, _ error: TransitionError) -> Self { .init(.transition(id, error)) }
    static func held(_ id: JobID, action: String) -> Self { .init(.held(id, action: action)) }
    static func corruptRecord(_ database: String, key: [UInt8], _ error: RecordError) -> Self {
        .init(.corruptRecord(database: database, key: printable(key), error))
    }
    static func readOnly(_ path: String) -> Self { .init(.readOnly(path: path)) }
    static func busy(_ path: String, _ why: String) -> Self { .init(.busy(path: path, why: why)) }
    static func lockFile(_ why: String) -> Self { .init(.lockFile(why: why)) }

    /// Damage to the store at `path` that no one record names (a database gone missing): for
    /// layers above the job store.
    public static func damagedStore(_ path: String, _ why: String) -> Self { damaged(path, why) }

    /// A record of `database` under `key` that does not decode or contradicts another: for
    /// layers above the job store (the pipeline's databases).
    public static func damagedRecord(in database: String, key: some Collection<UInt8>, _ problem: String) -> Self {
        corruptRecord(database, key: Array(key), RecordError(detail: problem))
    }

    /// Wraps an LMDB failure during an operation on the store at `path`: damage, no space,
    /// or an I/O error, by its code.
    public static func lmdb(_ path: String, _ code: LMDBError) -> Self {
        if code.meansNoSpace { return .init(.noSpace(path: path, code)) }
        if code.meansDamagedFile { return .init(.damaged(path: path, why: code.damageDescription)) }
        return .init(.io(path: path, code))
    }

    /// The kind of trouble; `ingest` maps it to an exit code.
    public var category: Category {
        switch kind {
        case .noStore, .jobNotFound, .phaseNotFound: .notFound
        case .jobExists, .transition, .held: .conflict
        case .damaged, .foreign, .newerSchema, .corruptRecord, .lockFile: .damaged
        case .cannotCreate, .readOnly: .cannotCreate
        case .noSpace: .noSpace
        case .io: .io
        case .busy: .busy
        }
    }

    /// The illegal transition behind a `.conflict`, if that is what it was.
    public var transitionError: TransitionError? {
        if case .transition(_, let error) = kind { return error }
        return nil
    }

    /// What happened and what to do about it, for a person.
    public var description: String {
        switch kind {
        case .noStore(let path):
            "no store at \(path); submit a job first, or point --store (or INGEST_STORE) at an existing store"
        case .cannotCreate(let path, let why):
            "cannot create or open the store at \(path): \(why)"
        case .damaged(let path, let why):
            "the store at \(path) is damaged (\(why)); nothing was written to it after the damage was found — "
                + "`ingest verify` lists the problems; restore the store from a backup"
        case .foreign(let path):
            "\(path) holds an LMDB environment that is not an ingest store; it was left untouched — use another --store path"
        case .newerSchema(let path, let found, let supported):
            "the store at \(path) has schema version \(found), newer than this build's \(supported); upgrade ingest to use it"
        case .jobNotFound(let id):
            "no job \(id) in this store; `ingest list` shows the jobs there are"
        case .phaseNotFound(let id, let phase):
            "job \(id) has no phase \(phase)"
        case .jobExists(let id, let source):
            "job \(id) already exists with source \(source); choose another --id"
        case .transition(let id, let error):
            "job \(id): \(error)"
        case .held(let id, let action):
            "job \(id) is paused by the user; `ingest resume \(id)` before you \(action)"
        case .corruptRecord(let database, let key, let error):
            "record \(key) in \(database) cannot be read (\(error)); the store is damaged — run `ingest verify` and restore from a backup"
        case .noSpace(let path, let code):
            "no space left for the store at \(path) (\(code.description)); \(code.hint ?? "free some space")"
        case .io(let path, let code):
            "I/O error on the store at \(path): \(code)" + (code.hint.map { "; \($0)" } ?? "")
        case .readOnly(let path):
            "the store at \(path) is open read-only; this command needs to write"
        case .busy(let path, let why):
            "the store at \(path) is busy: \(why)"
        case .lockFile(let why):
            why
        }
    }

    /// Key bytes as text: printable ASCII as is, anything else as \xNN.
    static func printable(_ key: [UInt8]) -> String {
        var text = ""
        for byte in key {
            if (0x20..<0x7F).contains(byte) && byte != 0x5C {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }
}
