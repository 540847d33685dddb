internal import IngestCore
internal import IngestStore
internal import Logging

/// One claimed job's run: a fetcher per phase feeding a bounded pool of workers, one
/// group committer with a flusher task of its own (workers hand in and go on; they never
/// wait for a commit), a poller for user holds, and a timer that flushes partial groups.
struct JobRun {
    let store: JobStore
    let executor: StoreExecutor
    let job: JobContext
    let phases: [PhaseState]
    let workers: [ErasedWorker]
    let source: any ItemSource
    let configuration: RunnerConfiguration
    let runStop: StopController
    let runner: RunnerIdentity
    let logger: Logger
    let events: @Sendable (RunEvent) -> Void

    /// Runs the job; returns how it ended, and the damage that stopped it, if any.
    func run() async -> (outcome: JobOutcome, damage: StoreError?) {
        let committer = GroupCommitter(
            store: store, executor: executor, job: job, phases: phases, workers: workers,
            configuration: configuration, runStop: runStop, logger: logger, events: events
        )
        events(.jobStarted(job.id, source: job.source))
        events(.progress(job.id, await committer.progress))
        await withTaskGroup(of: Void.self) { helpers in
            helpers.addTask { await committer.runFlusher() }
            helpers.addTask { await flushTimer(committer) }
            helpers.addTask { await holdPoller(committer) }
            helpers.addTask { await diskWatcher(committer) }
            helpers.addTask {
                await runStop.waitForStop()
                await committer.wakeEveryone()
            }
            await runPhasesWithGrace(committer)
            helpers.cancelAll()
        }
        let outcome = await committer.finish(runStop: runStop.reason, runner: runner)
        return (outcome, await committer.damage)
    }

    /// Runs every phase's fetcher until all are done; once a stop is requested, in-flight
    /// items get the grace period to finish. Past it they are cancelled and no longer
    /// awaited: their items are redone by the next run, and the committer refuses what
    /// they hand in late.
    private func runPhasesWithGrace(_ committer: GroupCommitter) async {
        let work = Task {
            await withTaskGroup(of: Void.self) { phasesGroup in
                for ordinal in phases.indices where phases[ordinal].status != .completed {
                    phasesGroup.addTask { await fetchAndProcess(ordinal, committer) }
                }
            }
        }
        let grace = Task {
            await waitForAnyStop(committer)
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: configuration.shutdownGrace)
        }
        let workFinishedFirst = await firstToFinish(work, grace)
        if !workFinishedFirst {
            logger.warning("grace period over; dropping in-flight items", metadata: ["job": "\(job.id)"])
            work.cancel()
        }
        grace.cancel()
        await committer.close()
    }

    private func waitForAnyStop(_ committer: GroupCommitter) async {
        while !Task.isCancelled {
            if runStop.isStopRequested { return }
            if await committer.jobStop != nil { return }
            let seen = await committer.commitGeneration
            await committer.waitForCommit(after: seen)
        }
    }

    private func shouldStop(_ committer: GroupCommitter) async -> Bool {
        if Task.isCancelled || runStop.isStopRequested { return true }
        return await committer.jobStop != nil
    }

    /// The fetcher of one phase: takes pages of input while there is room, and hands them
    /// to at most `workers` concurrent batches.
    private func fetchAndProcess(_ ordinal: Int, _ committer: GroupCommitter) async {
        let worker = workers[ordinal]
        var checkpoint: [UInt8]? = phases[ordinal].checkpoint.isEmpty ? nil : phases[ordinal].checkpoint
        var lastSequence: UInt64?
        await withTaskGroup(of: Void.self) { pool in
            var running = 0
            fetching: while !(await shouldStop(committer)) {
                let room = await committer.waitForRoom(ordinal)
                if await shouldStop(committer) { break }
                guard room > 0 else { continue }
                let upstreamDone = ordinal == 0 ? true : await committer.isCompleted(ordinal - 1)
                let seen = await committer.commitGeneration
                let page: [(WorkItem, UInt64?)]
                do {
                    page = try await fetch(ordinal, after: checkpoint, sequence: lastSequence, limit: min(room, 256))
                } catch let error as StoreError where error.category == .damaged {
                    await committer.storeDamaged(error)
                    break
                } catch {
                    await committer.stop(.failed(phase: ordinal, error: "cannot read the phase's input: \(error)"))
                    break
                }
                if page.isEmpty {
                    if upstreamDone {
                        await committer.markExhausted(ordinal)
                        break fetching
                    }
                    await committer.waitForCommit(after: seen)
                    continue
                }
                if ordinal == 0 { checkpoint = page.last?.0.key } else { lastSequence = page.last?.1 }
                let numbered = await committer.register(ordinal, items: page)
                var start = 0
                while start < numbered.count {
                    // Items not yet handed to a worker are dropped on a stop; they are not
                    // committed, so the next run fetches them again.
                    let slice = Array(numbered[start..<min(numbered.count, start + worker.batchSize)])
                    start += slice.count
                    if running >= configuration.workers {
                        await pool.next()
                        running -= 1
                    }
                    // One hop to the committer per batch: the wait for room is also the stop check.
                    let mayGoOn = await committer.waitForOutputRoom(ordinal)
                    if !mayGoOn || Task.isCancelled { break fetching }
                    pool.addTask { await process(slice, ordinal, worker, committer) }
                    running += 1
                }
            }
        }
    }

    private func fetch(_ ordinal: Int, after checkpoint: [UInt8]?, sequence: UInt64?, limit: Int) async throws -> [(WorkItem, UInt64?)] {
        let store = store, job = job, source = source
        return try await executor.read {
            if ordinal == 0 {
                return try source.items(for: job, after: checkpoint, limit: limit).map { ($0, nil) }
            }
            return try store.queuePage(job.id, phase: ordinal, after: sequence, limit: limit).map { entry in
                (WorkItem(encoded: entry.payload) ?? WorkItem(key: entry.payload), entry.sequence)
            }
        }
    }

    /// Processes one batch, retrying failures of the worker itself with backoff; items
    /// the worker rejects are recorded as failed and skipped.
    private func process(_ batch: [FetchedItem], _ ordinal: Int, _ worker: ErasedWorker, _ committer: GroupCommitter) async {
        let backoff = Backoff(base: configuration.retryBaseDelay)
        var attempt = 0
        while true {
            do {
                let finished = try await worker.process(batch, job)
                await committer.add(ordinal, finished)
                return
            } catch {
                if await shouldStop(committer) { return }
                // Retrying cannot mend the store.
                if let damage = error as? StoreError, damage.category == .damaged {
                    await committer.storeDamaged(damage)
                    return
                }
                guard attempt < configuration.maxRetries else {
                    let name = job.plan.phases[ordinal].name
                    await committer.stop(.failed(phase: ordinal, error: "\(name) failed after \(attempt + 1) attempts: \(error)"))
                    return
                }
                logger.warning(
                    "worker failed; retrying",
                    metadata: ["job": "\(job.id)", "phase": "\(job.plan.phases[ordinal].name)", "attempt": "\(attempt + 1)", "error": "\(error)"]
                )
                try? await Task.sleep(for: backoff.delay(forRetry: attempt))
                attempt += 1
            }
        }
    }

    private func flushTimer(_ committer: GroupCommitter) async {
        let tick = configuration.groupCommitInterval / 2
        while !Task.isCancelled {
            do { try await Task.sleep(for: max(tick, .milliseconds(5))) } catch { return }
            await committer.flushIfDue()
        }
    }

    /// Pauses the job with `disk_full` once free space falls below `minFreeDiskBytes`, and
    /// with `on_battery` once the box runs on battery (when asked to).
    private func diskWatcher(_ committer: GroupCommitter) async {
        guard configuration.minFreeDiskBytes != nil || configuration.onBattery != nil else { return }
        while !Task.isCancelled {
            if let minimum = configuration.minFreeDiskBytes, let free = store.freeDiskBytes(), free < minimum {
                logger.warning("free disk space fell below --min-free-disk; pausing", metadata: ["job": "\(job.id)", "free": "\(free)"])
                await committer.stop(.paused(.diskFull))
                return
            }
            if configuration.onBattery?() == true {
                logger.notice("the box went on battery; pausing", metadata: ["job": "\(job.id)", "reason": "on_battery"])
                await committer.stop(.paused(.onBattery))
                return
            }
            do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
        }
    }

    /// Notices `ingest pause` from another process even when no commit is happening.
    private func holdPoller(_ committer: GroupCommitter) async {
        let store = store, id = job.id
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.holdPollInterval) } catch { return }
            let held = (try? await executor.read { try store.isHeld(id) }) ?? false
            if held {
                await committer.stop(.paused(.user))
                return
            }
        }
    }
}
