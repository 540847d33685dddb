import ArgumentParser
import IngestCore
import IngestStore

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the store's metrics in Prometheus text format (what `run --metrics-file` writes).",
        discussion: """
            Jobs by status, items done and failed per phase and the bytes of source text \
            the index holds are read from the store as committed. The last run's start, \
            duration, exit code and commit latencies are the ones `ingest run` recorded; a run \
            that was killed shows ingest_last_run_finished 0 and no exit code. Exits 66 when the store \
            does not exist.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let text = try reportingErrors {
            let store = try storeOptions.openForReading()
            let run = try store.lastRun()
            // A recorded run without an end is running elsewhere or was killed: its length is
            // only known by the wall clock.
            let elapsed = run.flatMap { run -> UInt64? in
                let now = JobStore.wallClock().millisecondsSince1970
                return now >= run.startedAt.millisecondsSince1970 ? now - run.startedAt.millisecondsSince1970 : nil
            }
            return try MetricsExposition.text(store: store, run: run, elapsedMilliseconds: elapsed)
        }
        print(text, terminator: "")
    }
}
