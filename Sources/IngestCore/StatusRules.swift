/// The rules that derive a job's status, current phase and progress from its phases.
public enum StatusRules {
    /// The job status, by the first rule that matches:
    /// any failed → failed; all completed → completed; any running or paused → running;
    /// all not started → pending; otherwise (some completed, the rest not started) → running.
    ///
    /// Inlinable so that callers in other modules get it specialised for their sequence
    /// (`list --json` derives it for every job of a store).
    @inlinable
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
    @inlinable
    public static func currentPhase<C: Collection>(of statuses: C) -> Int? where C.Element == PhaseStatus, C.Index == Int {
        statuses.firstIndex(where: \.isActive) ?? statuses.firstIndex { $0 != .completed }
    }

    /// Overall progress 0…1: the sum of each phase's weight times its fraction.
    public static func progress(plan: Plan, phases: [PhaseState]) -> Double {
        let sum = zip(plan.phases, phases).reduce(0.0) { $0 + $1.0.weight * $1.1.fraction }
        return min(1, max(0, sum))
    }
}
