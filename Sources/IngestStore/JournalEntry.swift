public import IngestCore

/// One line of a job's journal: something that happened to it, and when.
public struct JournalEntry: Sendable, Hashable {
    /// What happened.
    public enum Event: Sendable, Hashable {
        /// The job was created.
        case submitted
        /// A phase moved from one status to another.
        case transition(phase: Int, from: PhaseStatus, to: PhaseStatus, reason: PauseReason?, error: String?)
        /// The user paused the job.
        case held
        /// The user resumed the job.
        case released
        /// A runner claimed the job.
        case claimed(runner: String)
    }

    /// The line's position in the job's journal, from 0.
    public let sequence: UInt64
    /// When it happened, by the wall clock of the process that wrote it.
    public let time: Timestamp
    /// What happened.
    public let event: Event
}

extension JournalEntry {
    static let version: UInt8 = 1

    private enum Tag: UInt8 {
        case submitted = 1, transition = 2, held = 3, released = 4, claimed = 5
    }

    static func encode(_ event: Event, at time: Timestamp) -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        writer.write(version)
        writer.write(time.millisecondsSince1970)
        switch event {
        case .submitted:
            writer.write(Tag.submitted.rawValue)
        case .transition(let phase, let from, let to, let reason, let error):
            writer.write(Tag.transition.rawValue)
            writer.write(UInt8(truncatingIfNeeded: phase))
            writer.write(from.rawValue)
            writer.write(to.rawValue)
            writer.write(reason?.rawValue ?? 0)
            writer.write(optional: error)
        case .held:
            writer.write(Tag.held.rawValue)
        case .released:
            writer.write(Tag.released.rawValue)
        case .claimed(let runner):
            writer.write(Tag.claimed.rawValue)
            writer.write(runner)
        }
        return writer.bytes
    }

    init(sequence: UInt64, decoding buffer: UnsafeRawBufferPointer) throws(RecordError) {
        var reader = ByteReader(buffer)
        let version = try reader.readByte()
        guard version == Self.version else { throw .unknownVersion(version) }
        let time = Timestamp(millisecondsSince1970: try reader.readUInt64())
        let tagByte = try reader.readByte()
        let event: Event
        switch Tag(rawValue: tagByte) {
        case .submitted: event = .submitted
        case .held: event = .held
        case .released: event = .released
        case .claimed: event = .claimed(runner: try reader.readString())
        case .transition:
            let phase = Int(try reader.readByte())
            let fromByte = try reader.readByte()
            let toByte = try reader.readByte()
            let reasonByte = try reader.readByte()
            guard let from = PhaseStatus(rawValue: fromByte), let to = PhaseStatus(rawValue: toByte) else {
                throw .badValue("phase status \(fromByte)→\(toByte)", at: 10)
            }
            guard reasonByte == 0 || PauseReason(rawValue: reasonByte) != nil else {
                throw .badValue("pause reason \(reasonByte)", at: 13)
            }
            event = .transition(
                phase: phase, from: from, to: to, reason: PauseReason(rawValue: reasonByte),
                error: try reader.readOptionalString()
            )
        case nil:
            throw .badValue("journal event \(tagByte)", at: 9)
        }
        try reader.expectEnd()
        self.init(sequence: sequence, time: time, event: event)
    }
}
