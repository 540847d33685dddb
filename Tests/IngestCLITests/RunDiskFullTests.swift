import Foundation
import IngestTestSupport
import Testing

/// A store on a small size-limited tmpfs (needs root to mount, as in CI): a full disk pauses
/// the job with `disk_full` and exit 75, loses nothing committed, and after space is freed the
/// next run completes with the same export as a clean run.
@Suite("Run full disk", .serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct RunDiskFullTests {
    /// Mounts a tmpfs of `megabytes` at `path`, unmounted by `unmount`.
    private static func mount(_ path: String, megabytes: Int, remount: Bool = false) async throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let options = (remount ? "remount," : "") + "size=\(megabytes)m"
        let arguments = remount ? ["-o", options, path] : ["-t", "tmpfs", "-o", options, "tmpfs", path]
        let output = try await RunBlocking.run { try ChildProcess.run("/bin/mount", arguments, timeout: 30) }
        try #require(output.status == 0, "mount \(arguments): \(output.stderr)")
    }

    /// Free space on the file system of `path`, in KiB.
    private static func availableKiB(_ path: String) async throws -> Int {
        let output = try await RunBlocking.run { try ChildProcess.run("/bin/df", ["-k", "--output=avail", path]) }
        return Int(output.stdout.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") ?? 0
    }

    private static func unmount(_ path: String) async {
        _ = try? await RunBlocking.run { try ChildProcess.run("/bin/umount", [path], timeout: 30) }
    }

    /// Runs `body` and unmounts `path` afterwards, whether `body` threw or not.
    private static func withMount(_ path: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await unmount(path)
            throw error
        }
        await unmount(path)
    }

    @Test("the disk fills up: paused disk_full, exit 75, verify clean; with space again the export equals a clean run's", .timeLimit(.minutes(TestTime.minutes(3))))
    func diskFills() async throws {
        let world = RunWorld("disk-full")
        let source = world.path("corpus")
        // About 4 MB of text makes a store of about 12 MB (chunks with their overlap,
        // vectors, index, receipts): more than the 8 MB mount holds.
        try RunCorpus.write(into: source, files: 500, bytes: 8 * 1024, seed: 51)
        let mountPoint = world.path("small")
        try await Self.mount(mountPoint, megabytes: 8)
        let store = mountPoint + "/store"
        try await Self.withMount(mountPoint) {
            try await world.submit(source, id: "full", store: store)
            let run = try await world.run(store: store)
            #expect(run.status == RunExit.workRemains, "exit \(run.status): \(run.stdout) \(run.stderr)")
            #expect(run.stdout.contains("disk is full"), "no advice printed: \(run.stdout)")
            let paused = try await world.status("full", store: store)
            #expect(paused.status == "running", "\(paused)")
            let open = paused.phases.filter { $0.status != "completed" }
            #expect(!open.isEmpty && open.allSatisfy { $0.status == "paused" && $0.pauseReason == "disk_full" }, "\(paused)")
            try await world.expectVerifies(store: store)

            try await Self.mount(mountPoint, megabytes: 400, remount: true)
            let resumed = try await world.run(store: store)
            #expect(resumed.status == RunExit.ok, "exit \(resumed.status): \(resumed.stderr)")
            #expect(try await world.status("full", store: store).status == "completed")

            let clean = world.path("clean")
            try await world.submit(source, id: "full", store: clean)
            #expect(try await world.run(store: clean).status == RunExit.ok)
            let expected = try await world.export(store: clean)
            #expect(!expected.isEmpty)
            #expect(try await world.export(store: store) == expected)
        }
    }

    @Test("--min-free-disk pauses with disk_full before the disk is full", .timeLimit(.minutes(TestTime.minutes(2))))
    func minFreeDisk() async throws {
        let world = RunWorld("min-free")
        let source = world.path("corpus")
        // About 10 MB of text: its index needs far more than the few MiB of headroom below.
        try RunCorpus.write(into: source, files: 1200, bytes: 8 * 1024, seed: 52)
        let mountPoint = world.path("small")
        try await Self.mount(mountPoint, megabytes: 256)
        let store = mountPoint + "/store"
        try await Self.withMount(mountPoint) {
            try await world.submit(source, id: "gated", store: store)
            // Nothing starts when the disk already has less free space than asked for.
            let refused = try await world.run(["--min-free-disk", "1T"], store: store)
            #expect(refused.status == RunExit.workRemains, "\(refused.status) \(refused.stderr)")
            #expect(try await world.status("gated", store: store).status == "pending")

            // Ask for all but 4 MiB of what is free now: the run must pause once the store has
            // grown by that much, long before the disk is full.
            let before = try await Self.availableKiB(mountPoint)
            let threshold = "\(max(1024, before - 4 * 1024))K"
            let run = try await world.run(["--min-free-disk", threshold], store: store)
            #expect(run.status == RunExit.workRemains, "exit \(run.status): \(run.stdout) \(run.stderr)")
            let paused = try await world.status("gated", store: store)
            let open = paused.phases.filter { $0.status != "completed" }
            #expect(!open.isEmpty && open.allSatisfy { $0.pauseReason == "disk_full" }, "\(paused)")
            // The gate kept real headroom: the disk never filled.
            let after = try await Self.availableKiB(mountPoint)
            #expect(after > 64 * 1024, "only \(after) KiB left")
            try await world.expectVerifies(store: store)

            let invalid = try await world.run(["--min-free-disk", "lots"], store: store)
            #expect(invalid.status == 64)
        }
    }
}
