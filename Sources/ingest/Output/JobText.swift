import IngestCore
import IngestStore

/// The text renderings of jobs: short, aligned, for people.
enum JobText {
    static func detail(_ job: JobSnapshot) -> String {
        var head = TextTable()
        head.add(["job", job.id.rawValue])
        head.add(["source", job.record.source])
        head.add(["status", "\(job.status) (\(job.activity))"])
        let phase = job.failedPhaseName.map { ", failed in \($0)" } ?? job.currentPhaseName.map { ", current phase \($0)" } ?? ""
        head.add(["progress", Format.percent(job.progress) + phase])
        if job.itemsFailed > 0 { head.add(["failed items", String(job.itemsFailed)]) }
        head.add(["created", job.record.createdAt.iso8601])
        head.add(["updated", job.updatedAt.iso8601])
        var phases = TextTable(header: ["PHASE", "STATUS", "DONE", "FAILED", "ATTEMPTS", "NOTE"])
        for (spec, state) in zip(job.record.plan.phases, job.phases) {
            var note = state.pauseReason.map { "paused: \($0)" } ?? state.lastError.map { "error: \($0)" } ?? ""
            // Streaming behind a phase that failed: nothing runs it until `ingest retry`.
            if let failed = job.failedPhaseName, state.status == .running, !job.leaseIsLive {
                note = "stopped: \(failed) failed (resumes after `ingest retry \(job.id)`)"
            }
            phases.add([
                spec.name, state.status.description, Format.count(state.processed, of: state.total),
                String(state.itemsFailed), String(state.attempts), note,
            ])
        }
        return head.rendered + "\n\n" + phases.rendered
    }

    /// The failed items and why, the first `limit` of them.
    static func failures(_ receipts: [ItemReceipt], plan: Plan, limit: Int) -> String {
        var table = TextTable(header: ["PHASE", "FAILED ITEM", "REASON"])
        for receipt in receipts.prefix(limit) {
            let phase = plan.phases.indices.contains(receipt.phase) ? plan.phases[receipt.phase].name : "#\(receipt.phase)"
            table.add([phase, itemName(receipt.itemKey), receipt.failure ?? ""])
        }
        let more = receipts.count > limit ? "\n… and \(receipts.count - limit) more (`ingest status ID --json` lists up to \(JobJSON.failureLimit))" : ""
        return table.rendered + more
    }

    /// An item key as text: a path for the load and chunk phases, hex for binary ids.
    static func itemName(_ key: [UInt8]) -> String {
        if let text = String(validating: key, as: UTF8.self), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
            return text
        }
        return key.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func list(_ jobs: [JobSnapshot]) -> String {
        var table = TextTable(header: ["ID", "STATUS", "ACTIVITY", "PROGRESS", "PHASE", "SOURCE"])
        for job in jobs {
            table.add([
                job.id.rawValue, job.status.description, job.activity.description, Format.percent(job.progress),
                job.failedPhaseName ?? job.currentPhaseName ?? "-", job.record.source,
            ])
        }
        return table.rendered
    }

    static func summary(store: String, jobs: [JobSnapshot]) -> String {
        var table = TextTable()
        table.add(["store", store])
        table.add(["jobs", String(jobs.count)])
        for status in JobStatus.allCases {
            let matching = jobs.filter { $0.status == status }
            guard !matching.isEmpty else { continue }
            let activities = Activity.allCases.compactMap { activity -> String? in
                let count = matching.count { $0.activity == activity }
                return count == 0 || status.isTerminal ? nil : "\(count) \(activity)"
            }
            table.add([status.description, String(matching.count) + (activities.isEmpty ? "" : " (" + activities.joined(separator: ", ") + ")")])
        }
        return table.rendered
    }

    /// `load completed, chunk paused (user), …` for one-line confirmations.
    static func phaseSummary(_ job: JobSnapshot) -> String {
        zip(job.record.plan.phases, job.phases).map { spec, state in
            spec.name + " " + state.status.description + (state.pauseReason.map { " (\($0))" } ?? "")
        }.joined(separator: ", ")
    }

    static func history(_ entries: [JournalEntry], phaseNames: [String]) -> String {
        var table = TextTable(header: ["TIME", "PHASE", "CHANGE", "NOTE"])
        // The journal keeps a job's last `JobStore.journalLimit` lines; say so when older ones went.
        if let first = entries.first, first.sequence > 0 {
            table.add(["…", "-", "\(first.sequence) earlier lines dropped", "the journal keeps the last \(JobStore.journalLimit)"])
        }
        for entry in entries {
            switch entry.event {
            case .submitted: table.add([entry.time.iso8601, "-", "submitted", ""])
            case .held: table.add([entry.time.iso8601, "-", "paused by user", ""])
            case .released: table.add([entry.time.iso8601, "-", "resumed by user", ""])
            case .claimed(let runner): table.add([entry.time.iso8601, "-", "claimed", runner])
            case .transition(let ordinal, let from, let to, let reason, let error):
                let name = phaseNames.indices.contains(ordinal) ? phaseNames[ordinal] : "#\(ordinal)"
                let note = reason.map { "reason: \($0)" } ?? error.map { "error: \($0)" } ?? ""
                table.add([entry.time.iso8601, name, "\(from) → \(to)", note])
            }
        }
        return table.rendered
    }
}
