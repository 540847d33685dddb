internal import IngestCore

/// The binary layout of a `PhaseState` in the `phases` database.
enum PhaseRecord {
    static let version: UInt8 = 1

    static func encode(_ state: PhaseState) -> [UInt8] {
        var writer = ByteWriter(capacity: 72 + state.checkpoint.count + (state.lastError?.utf8.count ?? 0))
        writer.write(version)
        writer.write(state.status.rawValue)
        writer.write(state.processed)
        writer.write(state.total != nil)
        writer.write(state.total ?? 0)
        writer.write(state.itemsFailed)
        writer.write(bytes: state.checkpoint)
        writer.write(state.attempts)
        writer.write(state.pauseReason?.rawValue ?? 0)
        writer.write(optional: state.lastError)
        writer.write(state.startedAt?.millisecondsSince1970 ?? 0)
        writer.write(state.updatedAt?.millisecondsSince1970 ?? 0)
        writer.write(state.completedAt?.millisecondsSince1970 ?? 0)
        return writer.bytes
    }

    static func decode(_ buffer: UnsafeRawBufferPointer) throws(RecordError) -> PhaseState {
        var reader = ByteReader(buffer)
        let version = try reader.readByte()
        guard version == Self.version else { throw .unknownVersion(version) }
        let statusByte = try reader.readByte()
        guard let status = PhaseStatus(rawValue: statusByte) else {
            throw .badValue("phase status \(statusByte)", at: 1)
        }
        let processed = try reader.readUInt64()
        let hasTotal = try reader.readBool()
        let totalValue = try reader.readUInt64()
        let itemsFailed = try reader.readUInt64()
        let checkpoint = try reader.readBytes()
        let attempts = try reader.readUInt32()
        let reasonOffset = reader.offset
        let reasonByte = try reader.readByte()
        let reason = PauseReason(rawValue: reasonByte)
        guard reasonByte == 0 || reason != nil else { throw .badValue("pause reason \(reasonByte)", at: reasonOffset) }
        guard (status == .paused) == (reason != nil) else {
            throw .badValue("pause reason \(reasonByte) with status \(status)", at: reasonOffset)
        }
        let lastError = try reader.readOptionalString()
        let startedAt = try reader.readUInt64()
        let updatedAt = try reader.readUInt64()
        let completedAt = try reader.readUInt64()
        try reader.expectEnd()
        func stamp(_ millis: UInt64) -> Timestamp? { millis == 0 ? nil : Timestamp(millisecondsSince1970: millis) }
        return PhaseState(
            status: status, processed: processed, total: hasTotal ? totalValue : nil, itemsFailed: itemsFailed,
            checkpoint: checkpoint, attempts: attempts, pauseReason: reason, lastError: lastError,
            startedAt: stamp(startedAt), updatedAt: stamp(updatedAt), completedAt: stamp(completedAt)
        )
    }

    /// `decode`, with a failure reported as the damaged record stored under `key`: what a
    /// store read that finds one tells its caller.
    static func decode(_ buffer: UnsafeRawBufferPointer, storedAt key: [UInt8]) throws(StoreError) -> PhaseState {
        do throws(RecordError) { return try decode(buffer) } catch {
            throw StoreError.corruptRecord("phases", key: key, error)
        }
    }
}
