import Testing
@testable import IngestCore

/// Spellings of statuses and reasons, the bytes stored on disk, and `resumesAutomatically`.
struct NameTests {
    @Test func phaseStatusSpellings() {
        #expect(PhaseStatus.allCases.map(\.description) == ["not_started", "running", "paused", "completed", "failed"])
    }

    @Test func jobStatusSpellings() {
        #expect(JobStatus.allCases.map(\.description) == ["pending", "running", "completed", "failed"])
    }

    @Test func pauseReasonSpellings() {
        #expect(PauseReason.allCases.map(\.description) == ["user", "shutdown", "budget", "disk_full", "on_battery"])
    }

    @Test(arguments: PhaseStatus.allCases)
    func phaseStatusNameRoundTrips(status: PhaseStatus) {
        #expect(PhaseStatus(name: status.description) == status)
        #expect("\(status)" == status.description)
    }

    @Test(arguments: JobStatus.allCases)
    func jobStatusNameRoundTrips(status: JobStatus) {
        #expect(JobStatus(name: status.description) == status)
    }

    @Test(arguments: PauseReason.allCases)
    func pauseReasonNameRoundTrips(reason: PauseReason) {
        #expect(PauseReason(name: reason.description) == reason)
    }

    @Test(arguments: ["", "notStarted", "not-started", "Running", "RUNNING", " running", "running ", "done", "pending"])
    func unknownPhaseStatusNamesAreRefused(name: String) {
        #expect(PhaseStatus(name: name) == nil)
    }

    @Test(arguments: ["", "Pending", "paused", "not_started", "active", "queued"])
    func unknownJobStatusNamesAreRefused(name: String) {
        #expect(JobStatus(name: name) == nil)
    }

    @Test(arguments: ["", "diskFull", "disk-full", "User", "signal", "sigterm"])
    func unknownPauseReasonNamesAreRefused(name: String) {
        #expect(PauseReason(name: name) == nil)
    }

    @Test func storedBytesNeverChange() {
        // These bytes are on disk in existing stores: reordering a case would corrupt them.
        #expect(PhaseStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
        #expect(PhaseStatus(rawValue: 0) == .notStarted)
        #expect(PhaseStatus(rawValue: 4) == .failed)
        #expect(PhaseStatus(rawValue: 5) == nil)
        #expect(JobStatus.allCases.map(\.rawValue) == [0, 1, 2, 3])
        #expect(JobStatus(rawValue: 4) == nil)
        #expect(PauseReason.allCases.map(\.rawValue) == [1, 2, 3, 4, 5])
        #expect(PauseReason(rawValue: 0) == nil)
    }

    @Test func onlyActivePhasesAreActive() {
        #expect(PhaseStatus.allCases.filter(\.isActive) == [.running, .paused])
    }

    @Test func onlyCompletedAndFailedJobsAreTerminal() {
        #expect(JobStatus.allCases.filter(\.isTerminal) == [.completed, .failed])
    }

    @Test(arguments: PauseReason.allCases)
    func everyReasonButUserResumesAutomatically(reason: PauseReason) {
        #expect(reason.resumesAutomatically == (reason != .user))
    }

    @Test func userPausesWaitForAnExplicitResume() {
        #expect(!PauseReason.user.resumesAutomatically)
        #expect(PauseReason.shutdown.resumesAutomatically)
        #expect(PauseReason.budget.resumesAutomatically)
        #expect(PauseReason.diskFull.resumesAutomatically)
    }
}

/// `Activity.of`: what is happening to a job, from its status, hold flag and lease.
struct ActivityTests {
    @Test(arguments: [JobStatus.pending, .running], [false, true])
    func aLiveRunnerMakesANonTerminalJobActive(status: JobStatus, held: Bool) {
        // A runner still holding the lease of a job the user just paused is winding down: active.
        #expect(Activity.of(status: status, held: held, leasedByLiveRunner: true) == .active)
    }

    @Test func aStartedJobWithoutARunnerIsInterrupted() {
        #expect(Activity.of(status: .running, held: false, leasedByLiveRunner: false) == .interrupted)
    }

    @Test func aNeverStartedJobWithoutARunnerIsQueued() {
        #expect(Activity.of(status: .pending, held: false, leasedByLiveRunner: false) == .queued)
    }

    @Test(arguments: [JobStatus.pending, .running])
    func aUserHoldWithoutARunnerIsHeld(status: JobStatus) {
        #expect(Activity.of(status: status, held: true, leasedByLiveRunner: false) == .held)
    }

    @Test(arguments: [JobStatus.completed, .failed], [false, true])
    func terminalJobsAreIdle(status: JobStatus, held: Bool) {
        #expect(Activity.of(status: status, held: held, leasedByLiveRunner: false) == .idle)
        #expect(Activity.of(status: status, held: held, leasedByLiveRunner: true) == .idle)
    }

    @Test func everyActivityIsReachable() {
        var seen = Set<Activity>()
        for status in JobStatus.allCases {
            for held in [false, true] {
                for leased in [false, true] {
                    seen.insert(Activity.of(status: status, held: held, leasedByLiveRunner: leased))
                }
            }
        }
        #expect(seen == Set(Activity.allCases))
    }

    @Test func activitySpellings() {
        #expect(Activity.allCases.map(\.description) == ["active", "interrupted", "queued", "held", "idle"])
    }
}
