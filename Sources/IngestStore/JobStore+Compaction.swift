internal import Foundation
internal import LMDBKit
public import Logging
#if canImport(Glibc)
internal import Glibc
#endif

extension JobStore {
    /// What `compact(at:)` did.
    public struct Compaction: Sendable {
        public let bytesBefore: UInt64
        public let bytesAfter: UInt64
    }

    /// Rewrites the store's data file without its free pages and swaps it in.
    ///
    /// The steps make a power cut at any moment harmless: the compacted copy is written and
    /// synced in a staging directory inside the store, verified, then renamed over
    /// `data.mdb` — one atomic step — and the directory synced. `lock.mdb` is removed with
    /// it, so the next process builds a fresh lock table for the new file instead of
    /// trusting transaction ids of the old one.
    ///
    /// - Throws: `StoreError.busy` when any process has the store open for writing (a
    ///   runner): it holds the shared `StoreLock`, and compaction needs it exclusively.
    public static func compact(
        at path: String, logger: Logger = Logger(label: "ingest.store", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws -> Compaction {
        try requireExisting(path)
        let lock = try StoreLock.exclusive(path)
        let dataPath = path + "/data.mdb"
        let staging = path + "/compacting"
        let manager = FileManager.default
        // A staging directory left by a compaction that died is only ever an unfinished copy.
        try? manager.removeItem(atPath: staging)
        defer { try? manager.removeItem(atPath: staging) }
        do {
            try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw StoreError.cannotCreate(staging, "cannot create the staging directory: \(error.localizedDescription)")
        }
        let before = fileSize(dataPath)
        do {
            let store = try open(
                at: path, mode: .readWrite, createIfMissing: false, options: .init(), logger: logger, clock: wallClock, lock: lock
            )
            try store.copyCompacted(to: staging)
        }
        let copyPath = staging + "/data.mdb"
        try syncFile(copyPath)
        do {
            let copy = try open(at: staging, mode: .readOnly)
            let problems = try StoreVerifier.verify(copy)
            guard problems.isEmpty else {
                throw StoreError.damaged(
                    staging, "the compacted copy does not verify (\(problems.prefix(3).map(\.description).joined(separator: "; "))); the store was not changed"
                )
            }
        }
        logger.info("swapping in the compacted store", metadata: ["path": "\(path)"])
        guard rename(copyPath, dataPath) == 0 else {
            throw StoreError.cannotCreate(path, "cannot move the compacted copy into place: \(String(cString: strerror(errno)))")
        }
        unlink(path + "/lock.mdb")
        try syncFile(path)
        return Compaction(bytesBefore: before, bytesAfter: fileSize(dataPath))
    }

    private static func fileSize(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    }

    /// fsync of a file or a directory (for a rename to be durable).
    private static func syncFile(_ path: String) throws(StoreError) {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let why = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw StoreError.cannotCreate(path, "cannot sync: \(why)")
        }
        close(descriptor)
    }
}
