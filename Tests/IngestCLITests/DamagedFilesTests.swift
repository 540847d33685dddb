import Foundation
import IngestTestSupport
import Testing

/// A garbage `lock.mdb`, and stores that may not be written: by permissions (tested as the
/// unprivileged user `nobody`, since root ignores permission bits) and by a read-only mount.
@Suite("lock file and read-only stores", .serialized)
struct DamagedFilesTests {
    /// Holds a shared `fcntl` lock on the first byte of a file — what every LMDB process
    /// holds on `lock.mdb` while it has the store open — until `release()`.
    final class LockHolder: @unchecked Sendable {
        private let process = Process()
        private let input = Pipe()

        init(_ path: String) throws {
            let script = """
                import fcntl, os, sys
                fd = os.open(sys.argv[1], os.O_RDONLY)
                fcntl.lockf(fd, fcntl.LOCK_SH, 1, 0)
                print("locked", flush=True)
                sys.stdin.read()
                """
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, path]
            process.standardInput = input
            process.standardOutput = output
            try ChildProcess.launch(process)
            let line = output.fileHandleForReading.readData(ofLength: 7)
            try #require(String(decoding: line, as: UTF8.self) == "locked\n", "the lock holder did not start")
        }

        func release() {
            try? input.fileHandleForWriting.close()
            if !ChildEnd.waitForExit(process, seconds: 30) { kill(process.processIdentifier, SIGKILL) }
        }
    }

    @Test("garbage lock.mdb nobody holds: LMDB rebuilds it and every command works; data.mdb unchanged by reads", .timeLimit(.minutes(TestTime.minutes(2))))
    func garbageLockFileRebuilt() async throws {
        let fixture = try await DamageFixture()
        let store = fixture.sandbox.store
        var generator = SeededGenerator(seed: 3)
        let garbage = Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try garbage.write(to: URL(fileURLWithPath: store + "/lock.mdb"))
        let before = fileBytes(fixture.dataPath)
        for command in fixture.readCommands("garbage-lock") {
            let output = try await fixture.run(command, store: store)
            #expect(output.status == 0, "\(command): \(output.status) \(output.stderr)")
        }
        #expect(fileBytes(fixture.dataPath) == before, "a read changed data.mdb")
        #expect(fileBytes(store + "/lock.mdb") != garbage, "lock.mdb was not rebuilt")
        // What each write gives on a sound store, in this order (done-a did not fail: no retry).
        let writes: [([String], Int32)] = [
            (["pause", DamageFixture.waiting], 0), (["resume", DamageFixture.waiting], 0), (["submit", fixture.corpus, "--id", "another"], 0),
            (["run", "--progress", "none"], 0), (["retry", "done-a"], 65),
        ]
        for (arguments, expected) in writes {
            let output = try await fixture.sandbox.runRaw(arguments + ["--store", store])
            #expect(output.status == expected, "\(arguments): \(output.status) \(output.stderr)")
        }
    }

    @Test("garbage lock.mdb another process holds: every command exits 65 naming lock.mdb, both files unchanged", .timeLimit(.minutes(TestTime.minutes(2))))
    func garbageLockFileHeld() async throws {
        let fixture = try await DamageFixture()
        let store = fixture.sandbox.store
        try Data(repeating: 0xA5, count: 8192).write(to: URL(fileURLWithPath: store + "/lock.mdb"))
        let data = fileBytes(fixture.dataPath)
        let lock = fileBytes(store + "/lock.mdb")
        let holder = try LockHolder(store + "/lock.mdb")
        defer { holder.release() }
        for command in fixture.allCommands("held-lock") {
            let output = try await fixture.run(command, store: store)
            #expect(output.status == 65, "\(command): \(output.status) \(output.stderr)")
            #expect(output.stderr.contains(store + "/lock.mdb") && output.stderr.contains("another process"), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(fixture.dataPath) == data)
        #expect(fileBytes(store + "/lock.mdb") == lock)
    }

    // MARK: Read-only stores

    /// Runs `ingest arguments` as `nobody` (setpriv), checked like any other command.
    private static func asNobody(_ fixture: DamageFixture, _ arguments: [String]) async throws -> ProcessOutput {
        let environment: [String: String?] = [
            "INGEST_STORE": nil, "XDG_STATE_HOME": fixture.sandbox.path("xdg"), "HOME": fixture.sandbox.path("home"),
        ]
        let full = ["--reuid=65534", "--regid=65534", "--clear-groups", Sandbox.executable] + arguments
        let output = try await RunBlocking.run { try ChildProcess.run("/usr/bin/setpriv", full, environment: environment, timeout: 60) }
        expectWellBehaved(output, arguments)
        return output
    }

    /// Makes the store read-only: the directory 0555, its files 0444.
    private static func makeReadOnly(_ store: String) throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: store) {
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: store + "/" + file)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: store)
    }

    @Test(
        "a store made read-only with chmod: reads work for another user, writes exit 73; root, ignoring permissions, could write (control)",
        .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to switch users"),
        .timeLimit(.minutes(TestTime.minutes(3)))
    )
    func readOnlyByPermissions() async throws {
        let fixture = try await DamageFixture()
        let store = fixture.sandbox.store
        try Self.makeReadOnly(store)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store) }
        let before = fileBytes(fixture.dataPath)
        // nobody may create the backup only in a directory of its own.
        let backups = try fixture.sandbox.makeDirectory("nobody-backups")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: backups)
        for command in fixture.readCommands("unused") {
            let arguments = command.arguments.first == "backup" ? ["backup", backups + "/copy"] : command.arguments
            let output = try await Self.asNobody(fixture, arguments + ["--store", store])
            #expect(output.status == 0, "\(arguments): \(output.status) \(output.stderr)")
        }
        for command in fixture.writeCommands() {
            let output = try await Self.asNobody(fixture, command.arguments + ["--store", store])
            #expect(output.status == 73, "\(command): \(output.status) \(output.stderr)")
            #expect(output.stderr.contains(store) && output.stderr.contains("Permission denied"), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(fixture.dataPath) == before, "data.mdb changed")
        #expect(fileExists(backups + "/copy/data.mdb"))

        // While another process has the store open, reading without LMDB's lock is unsafe: refused.
        let holder = try LockHolder(store + "/lock.mdb")
        let refused = try await Self.asNobody(fixture, ["status", "--store", store])
        holder.release()
        #expect(refused.status == 73 && refused.stderr.contains("lock.mdb is not writable"), "\(refused.status) \(refused.stderr)")

        // Control: root ignores the permission bits, so only another user proves anything.
        let asRoot = try await fixture.sandbox.runRaw(["pause", DamageFixture.waiting, "--store", store])
        #expect(asRoot.status == 0, "root could not write the chmod-ed store: \(asRoot.stderr)")
    }

    @Test(
        "a store on a read-only mount: reads work, writes exit 73 naming the read-only file system, nothing changes",
        .enabled(if: getuid() == 0, "mounting needs root"),
        .timeLimit(.minutes(TestTime.minutes(3)))
    )
    func readOnlyMount() async throws {
        let fixture = try await DamageFixture()
        let mountPoint = try fixture.sandbox.makeDirectory("ro-mount")
        let bind = try await RunBlocking.run { try ChildProcess.run("/bin/mount", ["--bind", fixture.sandbox.store, mountPoint], timeout: 30) }
        try #require(bind.status == 0, "mount --bind: \(bind.stderr)")
        do {
            try await Self.checkReadOnlyMount(fixture, mountPoint)
        } catch {
            _ = try? await RunBlocking.run { try ChildProcess.run("/bin/umount", [mountPoint], timeout: 30) }
            throw error
        }
        _ = try await RunBlocking.run { try ChildProcess.run("/bin/umount", [mountPoint], timeout: 30) }
    }

    private static func checkReadOnlyMount(_ fixture: DamageFixture, _ mountPoint: String) async throws {
        let remount = try await RunBlocking.run { try ChildProcess.run("/bin/mount", ["-o", "remount,ro,bind", mountPoint], timeout: 30) }
        try #require(remount.status == 0, "remount read-only: \(remount.stderr)")
        #expect(!FileManager.default.createFile(atPath: mountPoint + "/probe", contents: Data()), "the mount is writable")
        let data = fileBytes(fixture.dataPath)
        let lock = fileBytes(fixture.sandbox.store + "/lock.mdb")
        for command in fixture.readCommands("ro-mount") {
            let output = try await fixture.run(command, store: mountPoint)
            #expect(output.status == 0, "\(command): \(output.status) \(output.stderr)")
        }
        for command in fixture.writeCommands() {
            let output = try await fixture.run(command, store: mountPoint)
            #expect(output.status == 73, "\(command): \(output.status) \(output.stderr)")
            #expect(output.stderr.contains("Read-only file system"), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(fixture.dataPath) == data)
        #expect(fileBytes(fixture.sandbox.store + "/lock.mdb") == lock)
    }
}
