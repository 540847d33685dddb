public import IngestCore

/// What the `jobs` database holds for a job: everything but the phases.
public struct JobRecord: Sendable, Hashable {
    /// What the job ingests: for the built-in pipeline an absolute directory path; for a
    /// host, whatever names its input.
    public var source: String
    /// The job's phases, fixed at submit.
    public var plan: Plan
    /// When the job was submitted.
    public var createdAt: Timestamp
    /// When the job's journal last got a line (a transition, a claim, a hold or release).
    public var updatedAt: Timestamp
    /// How many runs died holding the job in the boot they ran in (killed or crashed); a
    /// run cut off by a power cut, or stopped cleanly, is not counted.
    public var attempts: UInt32
    /// Set by a user pause, cleared by a user resume. A held job is never claimed.
    public var held: Bool
    /// Opaque settings stored at submit, so that every resume runs exactly as submitted.
    public var settings: [UInt8]
    /// The sequence number the job's next journal line gets.
    var nextJournalSequence: UInt64

    /// How many lines the job's journal has had (the oldest are dropped past
    /// `JobStore.journalLimit`, the count goes on): every line written after this record was
    /// read gets a sequence number at least this. Logs quote it to place an event among
    /// the journal's lines (commit order), which wall clocks cannot do.
    public var journalLength: UInt64 { nextJournalSequence }

    /// A new job's record: not held, no attempts.
    public init(source: String, plan: Plan, createdAt: Timestamp, settings: [UInt8] = []) {
        self.source = source
        self.plan = plan
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.attempts = 0
        self.held = false
        self.settings = settings
        self.nextJournalSequence = 0
    }
}

extension JobRecord {
    static let version: UInt8 = 1

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + source.utf8.count + settings.count)
        writer.write(Self.version)
        writer.write(source)
        writer.write(UInt8(plan.count))
        for phase in plan.phases {
            writer.write(phase.name)
            writer.write(phase.weight)
        }
        writer.write(createdAt.millisecondsSince1970)
        writer.write(updatedAt.millisecondsSince1970)
        writer.write(attempts)
        writer.write(held)
        writer.write(nextJournalSequence)
        writer.write(bytes: settings)
        return writer.bytes
    }

    init(decoding buffer: UnsafeRawBufferPointer) throws(RecordError) {
        var reader = ByteReader(buffer)
        let version = try reader.readByte()
        guard version == Self.version else { throw .unknownVersion(version) }
        let source = try reader.readString()
        let phaseCount = Int(try reader.readByte())
        var phases: [PhaseSpec] = []
        phases.reserveCapacity(phaseCount)
        for _ in 0..<phaseCount {
            let name = try reader.readString()
            phases.append(PhaseSpec(name: name, weight: try reader.readDouble()))
        }
        let plan: Plan
        do { plan = try Plan(phases: phases) } catch { throw RecordError(detail: "stored plan is invalid: \(error)") }
        self.init(source: source, plan: plan, createdAt: Timestamp(millisecondsSince1970: try reader.readUInt64()))
        updatedAt = Timestamp(millisecondsSince1970: try reader.readUInt64())
        attempts = try reader.readUInt32()
        held = try reader.readBool()
        nextJournalSequence = try reader.readUInt64()
        settings = try reader.readBytes()
        try reader.expectEnd()
    }
}
