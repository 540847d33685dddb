internal import IngestCore
@testable internal import IngestStore

/// Valid records of every shape the store writes, for the fuzzers to start from.
enum StoreSeeds {
    static var jobRecords: [JobRecord] {
        let created = Timestamp(millisecondsSince1970: 1_764_000_000_000)
        var held = JobRecord(source: "/srv/docs/ü", plan: .standard, createdAt: created, settings: Array(#"{"a":1}"#.utf8))
        held.held = true
        held.attempts = 3
        held.nextJournalSequence = 17
        var plans = [JobRecord(source: "/srv/docs", plan: .standard, createdAt: created), held]
        if let wide = try? Plan(equallyWeighted: (0..<Plan.maxPhases).map { "p\($0)" }) {
            plans.append(JobRecord(source: "x", plan: wide, createdAt: Timestamp(millisecondsSince1970: .max)))
        }
        return plans
    }

    static var phaseStates: [PhaseState] {
        let at = Timestamp(millisecondsSince1970: 1_764_000_000_000)
        return [
            PhaseState(),
            PhaseState(status: .running, processed: 10, total: 40, checkpoint: Array("dir/file.txt".utf8), attempts: 1, startedAt: at, updatedAt: at),
            PhaseState(status: .completed, processed: .max, total: .max, itemsFailed: 2, startedAt: at, updatedAt: at, completedAt: at),
            PhaseState(status: .failed, processed: 3, lastError: "the source is gone", updatedAt: at),
        ] + PauseReason.allCases.map { PhaseState(status: .paused, pauseReason: $0) }
    }

    static var journalEvents: [JournalEntry.Event] {
        [
            .submitted, .held, .released, .claimed(runner: "pid 42 (boot 0f4c1d2e, start 7)"),
            .transition(phase: 0, from: .notStarted, to: .running, reason: nil, error: nil),
            .transition(phase: 3, from: .running, to: .paused, reason: .diskFull, error: nil),
            .transition(phase: 31, from: .running, to: .failed, reason: nil, error: "embedder exited with status 1"),
        ]
    }

    static var runRecords: [RunRecord] {
        var latency = LatencyBuckets()
        for seconds in [0.0005, 0.003, 0.003, 0.2, 12] { latency.record(seconds: seconds) }
        return [
            RunRecord(startedAt: Timestamp(millisecondsSince1970: 1_764_000_000_000)),
            RunRecord(startedAt: Timestamp(millisecondsSince1970: 5), durationMilliseconds: 90_000, exitCode: 75, commitLatency: latency),
            RunRecord(startedAt: Timestamp(millisecondsSince1970: 5), commitLatency: LatencyBuckets(upperBounds: [])),
        ]
    }
}
