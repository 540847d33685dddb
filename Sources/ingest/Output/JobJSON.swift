import Foundation
import IngestCore
import IngestStore

/// The JSON shape of `ingest status ID --json` (DESIGN.md, "The command line").
struct JobJSON: Encodable {
    struct Phase: Encodable {
        let name: String
        let status: String
        let processed: UInt64
        let total: UInt64?
        let itemsFailed: UInt64
        let pauseReason: String?
        let attempts: UInt32
        let lastError: String?
        let startedAt: Timestamp?
        let completedAt: Timestamp?

        // Optional fields are written as null rather than left out: scripts can rely on every key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(status, forKey: .status)
            try container.encode(processed, forKey: .processed)
            try container.encode(total, forKey: .total)
            try container.encode(itemsFailed, forKey: .itemsFailed)
            try container.encode(pauseReason, forKey: .pauseReason)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(startedAt?.iso8601, forKey: .startedAt)
            try container.encode(completedAt?.iso8601, forKey: .completedAt)
        }

        enum CodingKeys: String, CodingKey {
            case name, status, processed, total, itemsFailed, pauseReason, attempts, lastError, startedAt, completedAt
        }
    }

    let id: String
    let source: String
    let status: String
    let activity: String
    let held: Bool
    let progress: Double
    let currentPhase: String?
    let phases: [Phase]
    let itemsFailed: UInt64
    /// The failed items with their reasons (at most `failureLimit`; `itemsFailed` counts all).
    let failures: [Failure]?
    let attempts: UInt32
    // Timestamps stay values until written: `list --json` formats them straight into its buffer.
    let createdAt: Timestamp
    let updatedAt: Timestamp

    struct Failure: Encodable {
        let phase: String
        let item: String
        let reason: String
    }

    static let failureLimit = 100

    /// - Parameter receipts: The failed items, for `status ID`; `nil` (no key) for `list`.
    init(_ job: JobSnapshot, failures receipts: [ItemReceipt]? = nil) {
        failures = receipts?.prefix(Self.failureLimit).map { receipt in
            let names = job.record.plan.phases
            return Failure(
                phase: names.indices.contains(receipt.phase) ? names[receipt.phase].name : "#\(receipt.phase)",
                item: JobText.itemName(receipt.itemKey), reason: receipt.failure ?? ""
            )
        }
        id = job.id.rawValue
        source = job.record.source
        status = job.status.description
        activity = job.activity.description
        held = job.record.held
        progress = (job.progress * 1_000_000).rounded() / 1_000_000
        currentPhase = job.currentPhaseName
        phases = zip(job.record.plan.phases, job.phases).map { spec, state in
            Phase(
                name: spec.name, status: state.status.description, processed: state.processed, total: state.total,
                itemsFailed: state.itemsFailed, pauseReason: state.pauseReason?.description,
                attempts: state.attempts, lastError: state.lastError,
                startedAt: state.startedAt, completedAt: state.completedAt
            )
        }
        itemsFailed = job.itemsFailed
        attempts = job.record.attempts
        createdAt = job.record.createdAt
        updatedAt = job.updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(source, forKey: .source)
        try container.encode(status, forKey: .status)
        try container.encode(activity, forKey: .activity)
        try container.encode(held, forKey: .held)
        try container.encode(progress, forKey: .progress)
        try container.encode(currentPhase, forKey: .currentPhase)
        try container.encode(phases, forKey: .phases)
        try container.encode(itemsFailed, forKey: .itemsFailed)
        try container.encodeIfPresent(failures, forKey: .failures)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(createdAt.iso8601, forKey: .createdAt)
        try container.encode(updatedAt.iso8601, forKey: .updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, source, status, activity, held, progress, currentPhase, phases, itemsFailed, failures, attempts, createdAt, updatedAt
    }
}

/// JSON output: sorted keys, one document per call.
enum JSONOutput {
    static func print(_ value: some Encodable, pretty: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        Swift.print(String(decoding: data, as: UTF8.self))
    }
}
