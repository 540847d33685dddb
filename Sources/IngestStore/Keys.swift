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

    /// `leases`: the job id.
    static func lease(_ id: JobID) -> [UInt8] { id.bytes }

    /// `meta` keys.
    enum Meta {
        static let schemaVersion = Array("schema_version".utf8)
        static let createdAt = Array("created_at".utf8)
        static let storeID = Array("store_id".utf8)
    }
}
