internal import IngestCore

/// The store's key layout. Numbers are big-endian so that byte order is numeric order;
/// job ids cannot contain 0x00, so it separates a job id from what follows and a prefix
/// scan for one job never reaches another whose id merely starts the same way.
enum Keys {
    static let separator: UInt8 = 0x00

    /// `jobs`: the job id.
    static func job(_ id: JobID) -> [UInt8] { id.bytes }

    /// `phases`: job id · 0x00 · phase ordinal.
    static func phase(_ id: JobID, ordinal: Int) -> [UInt8] {
        var key = jobPrefix(id)
        key.append(UInt8(truncatingIfNeeded: ordinal))
        return key
    }

    /// Every key of one job in a database keyed by job id · 0x00 · …
    static func jobPrefix(_ id: JobID) -> [UInt8] {
        var key = id.bytes
        key.append(separator)
        return key
    }

    /// `by_status`: derived status byte · job id.
    static func byStatus(_ status: JobStatus, _ id: JobID) -> [UInt8] {
        [status.rawValue] + id.bytes
    }

    /// `journal`: job id · 0x00 · sequence (u64 big-endian).
    static func journal(_ id: JobID, sequence: UInt64) -> [UInt8] {
        var key = jobPrefix(id)
        withUnsafeBytes(of: sequence.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// Every entry of the queue feeding phase `ordinal` of `id`.
    static func queuePrefix(_ id: JobID, phase ordinal: Int) -> [UInt8] {
        var key = jobPrefix(id)
        key.append(UInt8(truncatingIfNeeded: ordinal))
        return key
    }

    /// `queue`: job id · 0x00 · phase ordinal · sequence (u64 big-endian).
    static func queue(_ id: JobID, phase ordinal: Int, sequence: UInt64) -> [UInt8] {
        var key = queuePrefix(id, phase: ordinal)
        withUnsafeBytes(of: sequence.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// A u64 as 8 big-endian bytes.
    static func sequenceBytes(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// The big-endian u64 at the start of `bytes`.
    static func sequence(from bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The big-endian u64 that follows `offset` bytes of prefix in `key`.
    static func sequence(from key: UnsafeRawBufferPointer, after offset: Int) -> UInt64 {
        key.dropFirst(offset).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The longest item key stored as is; longer ones are shortened with a hash, because
    /// LMDB keys are at most 511 bytes and a job id may take 128 of them.
    static let maxItemKey = 320

    /// `items`: job id · 0x00 · phase ordinal · item key.
    static func item(_ id: JobID, phase ordinal: Int, itemKey: [UInt8]) -> [UInt8] {
        var key = queuePrefix(id, phase: ordinal)
        if itemKey.count <= maxItemKey {
            key.append(contentsOf: itemKey)
        } else {
            key.append(contentsOf: itemKey.prefix(maxItemKey - 17))
            key.append(0x00)
            withUnsafeBytes(of: fnv1a(itemKey).bigEndian) { key.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt64(itemKey.count).bigEndian) { key.append(contentsOf: $0) }
        }
        return key
    }

    /// 64-bit FNV-1a, for shortening long keys.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }

    /// `leases`: the job id.
    static func lease(_ id: JobID) -> [UInt8] { id.bytes }

    /// `meta` keys.
    enum Meta {
        static let schemaVersion = Array("schema_version".utf8)
        static let createdAt = Array("created_at".utf8)
        static let storeID = Array("store_id".utf8)
        /// The latest `ingest run` (`RunRecord`), for metrics.
        static let lastRun = Array("last_run".utf8)
    }
}
