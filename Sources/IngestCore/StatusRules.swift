/// The rules that derive a job's status, current phase and progress from its phases.
public enum StatusRules {
    /// The job status, by the first rule that matches:
    /// any failed → failed; all completed → completed; any running or paused → running;
    /// all not started → pending; otherwise (some completed, the rest not started) → running.
    public static func jobStatus<S: Sequence>(of statuses: S) -> JobStatus where S.Element == PhaseStatus {
        var anyFailed = false
        var allCompleted = true
        var anyActive = false
        var allNotStarted = true
        for status in statuses {
            anyFailed = anyFailed || status == .failed
            allCompleted = allCompleted && status == .completed
            anyActive = anyActive || status.isActive
            allNotStarted = allNotStarted && status == .notStarted
        }
        if anyFailed { return .failed }
        if allCompleted { return .completed }
        if anyActive { return .running }
        if allNotStarted { return .pending }
        return .running
    }

    /// The ordinal of the current phase: the first running or paused one; else the first
    /// that is not completed; `nil` when all are completed.
    public static func currentPhase(of statuses: [PhaseStatus]) -> Int? {
        statuses.firstIndex(where: \.isActive) ?? statuses.firstIndex { $0 != .completed }
    }

    /// Overall progress 0…1: the sum of each phase's weight times its fraction.
    public static func progress(plan: Plan, phases: [PhaseState]) -> Double {
        let sum = zip(plan.phases, phases).reduce(0.0) { $0 + $1.0.weight * $1.1.fraction }
        return min(1, max(0, sum))
    }
}
