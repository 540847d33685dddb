/// One phase of one job as a line of progress: what `ingest run` and `ingest watch` show.
struct PhaseLine: Equatable {
    var job: String
    var phase: String
    var processed: UInt64
    var total: UInt64?
    /// Items per second, while the phase runs.
    var rate: Double?
    /// What else there is to say: `completed`, `paused (budget)`, `(3 failed)`.
    var note: String?

    /// Seconds until done at the current rate, when both are known.
    var secondsLeft: Double? {
        guard let total, let rate, rate > 0, total > processed else { return nil }
        return Double(total - processed) / rate
    }

    /// `done/total`, `?` for a total not known yet.
    var count: String { "\(processed)/\(total.map(String.init) ?? "?")" }

    /// `12.5/s  ETA 9s`, or what of it is known.
    var speed: String {
        var parts: [String] = []
        if let rate { parts.append(ProgressFormat.rate(rate) + "/s") }
        if let secondsLeft { parts.append("ETA " + ProgressFormat.duration(secondsLeft)) }
        return parts.joined(separator: "  ")
    }

    /// The log form: `progress JOB PHASE done/total[ rate/s][ ETA 9s][ note]`, single
    /// spaces, one phase per line, so `grep`, `awk` and a regex take it apart.
    var plain: String {
        var parts = ["progress", job, phase, count]
        if let rate { parts.append(ProgressFormat.rate(rate) + "/s") }
        if let secondsLeft { parts += ["ETA", ProgressFormat.duration(secondsLeft)] }
        if let note { parts.append(note) }
        return parts.joined(separator: " ")
    }

    /// The terminal form of `lines`, aligned in columns:
    /// `JOB  PHASE  [#######.....]  done/total  rate/s  ETA 9s  note`.
    /// The bar shows only where the total is known, and is left out on a narrow terminal.
    static func aligned(_ lines: [PhaseLine], columns: Int) -> [String] {
        let jobWidth = lines.map(\.job.count).max() ?? 0
        let phaseWidth = lines.map(\.phase.count).max() ?? 0
        let countWidth = lines.map(\.count.count).max() ?? 0
        let speedWidth = lines.map(\.speed.count).max() ?? 0
        // What is left of the width once the text columns are in, for the bar (and its brackets).
        let fixed = jobWidth + 2 + phaseWidth + 2 + countWidth + 2 + speedWidth + 2
        let barWidth = min(40, columns - 1 - fixed - 12 - 2)
        return lines.map { line in
            var text = pad(line.job, jobWidth) + "  " + pad(line.phase, phaseWidth) + "  "
            if barWidth >= 10 {
                text += line.total.map { "[" + bar(line.processed, of: $0, width: barWidth) + "]" }
                    ?? String(repeating: " ", count: barWidth + 2)
                text += "  "
            }
            text += pad(line.count, countWidth)
            if speedWidth > 0 { text += "  " + pad(line.speed, speedWidth) }
            if let note = line.note { text += "  " + note }
            return trimmedRight(text)
        }
    }

    /// `#######.....`: the done share of `width` cells.
    static func bar(_ processed: UInt64, of total: UInt64, width: Int) -> String {
        let share = total == 0 ? 1 : min(1, Double(processed) / Double(total))
        let filled = Int((share * Double(width)).rounded(.down))
        return String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func trimmedRight(_ text: String) -> String {
        String(text.reversed().drop { $0 == " " }.reversed())
    }
}

/// How rates and durations read in progress lines.
enum ProgressFormat {
    /// `0.4`, `35.1`, `1280`: one decimal below 100 a second.
    static func rate(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e15 else { return "?" }
        return value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }

    /// `9s`, `4m05s`, `2h07m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(min(seconds, 359_999).rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + twoDigits(whole % 60) + "s" }
        return "\(whole / 3600)h" + twoDigits(whole / 60 % 60) + "m"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
