import Foundation
import IngestTestSupport
import Testing

/// What `ingest run` and `ingest watch` show of a run's progress: live lines redrawn in place
/// on a terminal (a real pseudo-terminal, see `TerminalChild`), plain lines off one.
@Suite("live progress")
struct LiveProgressTests {
    // The patterns are `nonisolated(unsafe)`: Regex is not Sendable, and they are never mutated.

    /// One phase line as a terminal shows it: `JOB PHASE [####....]  done/total  rate/s  ETA 9s  note`.
    nonisolated(unsafe) static let terminalLine =
        /^(?<job>\S+)\s+(?<phase>load|chunk|embed|index)\s+(?:\[(?<bar>[#.]+)\]\s+)?(?<done>\d+)\/(?<total>\d+|\?)(?:\s+(?<rate>[0-9.]+)\/s)?(?:\s+ETA (?<eta>\S+))?(?:\s+(?<note>\S.*))?$/

    /// A `watch` job line: `JOB  STATUS (ACTIVITY)  PERCENT%`.
    nonisolated(unsafe) static let watchHeader = /^(?<job>\S+)  (?<status>[a-z_]+) \((?<activity>[a-z]+)\)  (?<percent>[0-9.]+)%$/

    /// A world with job `j1` submitted over `files` generated files: a few seconds of work
    /// with one worker, long enough for many redraws after the totals are known.
    static func prepare(_ name: String, files: Int = 100) async throws -> (RunWorld, String) {
        let world = RunWorld(name)
        let source = world.path("source")
        try RunCorpus.write(into: source, files: files, bytes: 3000, seed: 11)
        try await world.submit(source, id: "j1")
        return (world, source)
    }

    /// How `ingest run` is run on a terminal: its width, and a time budget that stops it half-way.
    struct Case: Sendable, CustomTestStringConvertible {
        let columns: Int
        let maxTime: String?
        var testDescription: String { "\(columns) columns" + (maxTime.map { ", --max-time \($0)" } ?? "") }
    }

    @Test(
        "ingest run on a terminal: one line per running phase, redrawn in place, and the summary on its own line at the end",
        .timeLimit(.minutes(TestTime.minutes(3))),
        arguments: [Case(columns: 100, maxTime: nil), Case(columns: 30, maxTime: nil), Case(columns: 100, maxTime: "2s")]
    )
    func runOnTerminal(_ terminal: Case) async throws {
        let columns = terminal.columns
        // With a budget the corpus must outlast it on a fast, idle machine too. Without one it
        // must still last long enough to draw lines that carry totals and rates (the ones the
        // checks below read, and the only ones 30 columns cut): 100 files could be over first.
        let files = terminal.maxTime != nil ? 2000 : 1000
        let (world, source) = try await Self.prepare("live-run-\(columns)-\(terminal.maxTime ?? "all")", files: files)
        let started = ContinuousClock.now
        let budget = terminal.maxTime.map { ["--max-time", $0] } ?? []
        let child = try TerminalChild(["run", "--store", world.store, "--workers", "1"] + budget, environment: world.environment, columns: columns)
        let end = try await child.wait()
        let elapsed = ContinuousClock.now - started
        let expectedStatus: Int32 = terminal.maxTime == nil ? RunExit.ok : RunExit.workRemains
        #expect(!end.timedOut && !end.signalled && end.status == expectedStatus, "exit \(end.status): \(end.output.suffix(2000))")
        let raw = end.output

        let redraws = TerminalText.redraws(raw)
        #expect(raw.contains("\u{1B}[2K") && redraws >= 3, "the block was not redrawn in place (\(redraws) cursor-ups)")
        let seconds = Double(elapsed.components.seconds) + 1
        #expect(Double(redraws) <= seconds * 12 + 20, "\(redraws) redraws in \(seconds) s: more than about ten a second")

        let block = TerminalText.blockLines(raw)
        #expect(!block.isEmpty)
        // A line as wide as the terminal would wrap and throw the cursor-up count off.
        let tooWide = block.filter { $0.count > columns - 1 }
        #expect(tooWide.isEmpty, "lines wider than \(columns - 1) columns: \(tooWide.prefix(3))")
        if columns >= 100 && terminal.maxTime == nil {
            let parsed = block.compactMap { try? Self.terminalLine.wholeMatch(in: $0) }
            #expect(parsed.count == block.count, "lines that are not phase lines: \(block.filter { (try? Self.terminalLine.wholeMatch(in: $0)) == nil }.prefix(3))")
            #expect(parsed.allSatisfy { $0.output.job == "j1" })
            #expect(Set(parsed.map { String($0.output.phase) }).count >= 2, "one line per running phase")
            let complete = parsed.filter { $0.output.bar != nil && $0.output.total != "?" && $0.output.rate != nil }
            #expect(!complete.isEmpty, "no line with a bar, done/total and a rate")
            // The bar takes the room the terminal has: 40 cells on 100 columns.
            #expect(complete.allSatisfy { $0.output.bar?.count == 40 })
            for line in complete {
                let done = UInt64(line.output.done) ?? 0, total = UInt64(line.output.total) ?? 0
                let filled = line.output.bar?.filter { $0 == "#" }.count ?? 0
                #expect(filled == Int(Double(done) / Double(max(1, total)) * 40), "bar \(line.output.bar ?? "") for \(done)/\(total)")
            }
        } else if columns < 40 {
            #expect(block.contains { $0.hasSuffix("…") }, "nothing was cut to fit \(columns) columns")
        }

        let lines = TerminalText.lines(raw)
        #expect(lines.contains("job j1 started: \(source)"), "\(lines.prefix(5))")
        // What the terminal shows at the end: the lines printed for good, the block erased,
        // and the summary below them.
        let screen = TerminalScreen.render(raw)
        let leftover = screen.filter { (try? Self.terminalLine.wholeMatch(in: $0)) != nil || $0.hasPrefix("j1  load") || $0.hasPrefix("j1  chunk") }
        #expect(leftover.isEmpty, "phase lines left on the screen after the run: \(leftover)")
        if terminal.maxTime == nil {
            let expected = ["load", "chunk", "embed", "index"].map { "job j1 phase \($0) completed" } + ["job j1 completed", "j1  completed"]
            #expect(Array(screen.suffix(6)) == expected, "the screen ends with \(screen.suffix(8))")
            #expect(try await world.status("j1").status == "completed")
        } else {
            let expected = ["job j1 paused (budget)", "j1  paused (budget)", "stopped (budget); work remains — run `ingest run` again to continue"]
            #expect(Array(screen.suffix(3)) == expected, "the screen ends with \(screen.suffix(5))")
        }
        #expect(screen.first?.hasPrefix("job j1 started: ") == true, "the screen starts with \(screen.prefix(2))")
    }

    @Test("log lines written during a live run stay on the screen, above the live lines", .timeLimit(.minutes(TestTime.minutes(3))))
    func logLinesAboveTheBlock() async throws {
        let (world, _) = try await Self.prepare("live-run-logs", files: 60)
        // At info level the runner logs every phase completion while the block is drawn.
        let child = try TerminalChild(
            ["run", "--store", world.store, "--workers", "1", "--log-level", "info"], environment: world.environment
        )
        let end = try await child.wait()
        #expect(!end.timedOut && end.status == 0, "exit \(end.status): \(end.output.suffix(2000))")
        let screen = TerminalScreen.render(end.output)
        let logged = screen.filter { $0.contains("phase completed") && !$0.hasPrefix("job j1 phase") }
        #expect(logged.count == 4, "the four phase-completion log lines are not all on the screen: \(logged)")
        let leftover = screen.filter { (try? Self.terminalLine.wholeMatch(in: $0)) != nil }
        #expect(leftover.isEmpty, "stale phase lines on the screen: \(leftover)")
        #expect(screen.last == "j1  completed")
    }

    @Test("ingest watch ID on a terminal beside a running runner: the phases advance, and it exits when the job completes", .timeLimit(.minutes(TestTime.minutes(3))))
    func watchBesideRunner() async throws {
        let (world, _) = try await Self.prepare("live-watch")
        let watch = try TerminalChild(["watch", "j1", "--store", world.store, "--interval", "100ms"], environment: world.environment)
        // The job is still queued, so the view must first show it waiting.
        let queued = try await watch.waitForOutput(timeout: .seconds(30)) { $0.contains("j1  pending (queued)") }
        try #require(queued, "watch never showed the queued job: \(watch.output.suffix(1000).debugDescription)")
        let runner = try world.startRun(["--workers", "1"])
        let end = try await watch.wait()
        let run = try await runner.wait()
        #expect(run.status == 0, "\(run)")
        #expect(!end.timedOut && !end.signalled && end.status == 0, "watch: exit \(end.status), timed out \(end.timedOut)")
        #expect(TerminalText.redraws(end.output) >= 2, "watch did not redraw in place")

        let frames = Self.frames(TerminalText.lines(end.output))
        let active = frames.filter { $0.activity == "active" }
        #expect(active.count >= 2, "saw \(active.count) frames of the job running")
        let done = frames.map(\.done)
        #expect(done == done.sorted(), "committed counts went backwards: \(done)")
        #expect(Set(active.map(\.done)).count >= 2, "the phases did not advance while the job ran: \(active.map(\.done))")
        #expect(active.contains { $0.rated }, "no rate shown while the job ran")

        let last = try #require(frames.last)
        #expect(last.status == "completed" && last.activity == "idle" && last.percent == "100.0", "\(last)")
        #expect(last.phases == 4 && last.notes.allSatisfy { $0 == "completed" }, "\(last)")
        #expect(frames.count { $0.status == "completed" } == 1, "watch went on after the job completed")
    }

    @Test("ingest watch exits 0 on SIGINT and SIGTERM, its last frame left whole", .timeLimit(.minutes(TestTime.minutes(1))), arguments: [SIGINT, SIGTERM])
    func watchStopsOnSignal(_ signal: Int32) async throws {
        let world = RunWorld("live-watch-signal-\(signal)")
        let source = world.path("source")
        try RunCorpus.write(into: source, files: 1, bytes: 200, seed: 3)
        try await world.submit(source, id: "j1")
        let watch = try TerminalChild(["watch", "--store", world.store, "--interval", "100ms"], environment: world.environment)
        let shown = try await watch.waitForOutput(timeout: .seconds(30)) { $0.contains("j1  pending (queued)") }
        try #require(shown, "watch never drew the job: \(watch.output.debugDescription)")
        watch.send(signal)
        let end = try await watch.wait(timeout: .seconds(30))
        #expect(!end.timedOut && !end.signalled && end.status == 0, "exit \(end.status), signalled \(end.signalled)")
        let frames = Self.frames(TerminalText.lines(end.output))
        #expect(frames.last?.phases == 4, "the last frame is not whole: \(TerminalText.lines(end.output).suffix(6))")
    }

    // MARK: - Off a terminal

    /// A log line of `ingest run` off a terminal.
    nonisolated(unsafe) static let plainProgress =
        /^progress (?<job>\S+) (?<phase>\S+) (?<done>\d+)\/(?<total>\d+|\?)(?: (?<rate>[0-9.]+)\/s)?(?: ETA (?<eta>\S+))?(?: (?<note>.+))?$/
    nonisolated(unsafe) static let plainEvent = /^job \S+ (started: .+|phase \S+ completed|completed|failed in .+|paused \(.+\)|skipped: .+)$/

    @Test(
        "ingest run off a terminal: plain lines a regex takes apart, one phase each, no escape sequences, at a bounded rate",
        .timeLimit(.minutes(TestTime.minutes(3))), arguments: [nil, "250ms"]
    )
    func runOffTerminal(interval: String?) async throws {
        // The rate check below needs a run of several bursts: 100 files took 0.4 s on an
        // idle machine, one or two bursts, and passed only when the machine was busy.
        let (world, _) = try await Self.prepare("lines-run-\(interval ?? "auto")", files: 1000)
        let started = ContinuousClock.now
        // Piped, the default `auto` must print lines; `--progress lines` says so explicitly.
        let options = interval.map { ["--progress", "lines", "--progress-interval", $0] } ?? []
        let run = try await world.ingest(["run", "--workers", "1"] + options)
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "j1  completed\n")
        #expect(!run.stderr.contains("\u{1B}") && !run.stderr.contains("\r"), "terminal control characters in a log")

        let lines = run.stderr.split(separator: "\n").map(String.init)
        let progress = lines.compactMap { try? Self.plainProgress.wholeMatch(in: $0) }
        let other = lines.filter { (try? Self.plainProgress.wholeMatch(in: $0)) == nil && (try? Self.plainEvent.wholeMatch(in: $0)) == nil }
        #expect(other.isEmpty, "lines of no known form: \(other.prefix(5))")
        #expect(lines.first == "job j1 started: \(world.path("source"))")
        #expect(lines.last == "job j1 completed")
        #expect(!progress.isEmpty && progress.allSatisfy { $0.output.job == "j1" })
        var last: [String: UInt64] = [:]
        for line in progress {
            let phase = String(line.output.phase), done = UInt64(line.output.done) ?? 0
            #expect(done >= last[phase, default: 0], "\(phase) went back from \(last[phase, default: 0]) to \(done)")
            last[phase] = done
        }
        // One burst of at most four lines (the running phases) per interval, and one at the start.
        let every = interval.flatMap { Double($0.dropLast(2)) }.map { $0 / 1000 } ?? 2
        let bursts = (Double(elapsed.components.seconds) + 1) / every + 1
        #expect(Double(progress.count) <= bursts * 4, "\(progress.count) progress lines in \(elapsed) at one burst per \(every) s")
        if interval != nil {
            // A run of several seconds at four bursts a second: later bursts carry a rate.
            #expect(progress.contains { $0.output.rate != nil }, "no progress line with a rate")
        }
    }

    // MARK: - Helpers

    /// One `watch` frame for job j1: its status line and what its phase lines say.
    struct Frame: Equatable, CustomStringConvertible {
        var status: String
        var activity: String
        var percent: String
        var phases = 0
        /// Items done over all phases.
        var done: UInt64 = 0
        var rated = false
        var notes: [String] = []

        var description: String { "\(status) (\(activity)) \(percent)% phases \(phases) done \(done) notes \(notes)" }
    }

    /// The frames in `lines`, in order: each starts at a job status line.
    static func frames(_ lines: [String]) -> [Frame] {
        var frames: [Frame] = []
        for line in lines {
            if let header = try? watchHeader.wholeMatch(in: line) {
                frames.append(Frame(status: String(header.output.status), activity: String(header.output.activity), percent: String(header.output.percent)))
            } else if let phase = try? terminalLine.wholeMatch(in: line), !frames.isEmpty {
                frames[frames.count - 1].phases += 1
                frames[frames.count - 1].done += UInt64(phase.output.done) ?? 0
                if phase.output.rate != nil { frames[frames.count - 1].rated = true }
                frames[frames.count - 1].notes.append(phase.output.note.map(String.init) ?? "")
            }
        }
        return frames
    }
}
