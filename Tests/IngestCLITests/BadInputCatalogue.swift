import Foundation
import IngestTestSupport
import Testing

/// Every bad input tried, with the exit code and message a user gets. The README's table is
/// generated from these rows (`CatalogueTable.markdown`), and `BadInputCatalogueTests` runs
/// each row against the real binary.
enum BadInputCatalogue {
    static let rows: [BadInput] = sources + flags + environment + stores + embedders + signals + jobs

    // MARK: Source files and directories

    static let sources: [BadInput] = [
        BadInput(id: "binary-file", category: .sources, situation: "a binary file (NUL bytes) in the source",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "the file looks binary") { context in
            try await context.runThenStatus(try context.source("source", ["data.bin": Array("bin\u{0}ary".utf8)]))
        },
        BadInput(id: "invalid-utf8", category: .sources, situation: "a file that is not valid UTF-8",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "the file is not valid UTF-8") { context in
            try await context.runThenStatus(try context.source("source", ["latin1.txt": Array("caf".utf8) + [0xE9, 0x0A]]))
        },
        BadInput(id: "file-too-large", category: .sources, situation: "a file over --max-file-size",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "over the limit of 1000 bytes") { context in
            let source = try context.source("source", ["big.txt": Array(String(repeating: "words ", count: 400).utf8)])
            return try await context.runThenStatus(source, ["--max-file-size", "1000"])
        },
        BadInput(id: "huge-line", category: .sources, situation: "a 2 MB file that is one single line",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "completed") { context in
            let line = Array(repeating: UInt8(ascii: "x"), count: 2_000_000) + [0x0A]
            return try await context.runThenStatus(try context.source("source", ["line.txt": line]))
        },
        BadInput(id: "fifo", category: .sources, situation: "a FIFO in the source (reading it would block)",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "a FIFO (named pipe), not a regular file") { context in
            let source = try context.source()
            try #require(mkfifo(source + "/pipe", 0o644) == 0)
            return try await context.runThenStatus(source)
        },
        BadInput(id: "dangling-symlink", category: .sources, situation: "a symbolic link to nothing",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "the symbolic link leads nowhere") { context in
            let source = try context.source()
            try FileManager.default.createSymbolicLink(atPath: source + "/gone", withDestinationPath: source + "/no-such-file")
            return try await context.runThenStatus(source)
        },
        BadInput(id: "symlink-loop", category: .sources, situation: "two symbolic links pointing at each other",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "Too many levels of symbolic links") { context in
            let source = try context.source()
            try FileManager.default.createSymbolicLink(atPath: source + "/one", withDestinationPath: "two")
            try FileManager.default.createSymbolicLink(atPath: source + "/two", withDestinationPath: "one")
            return try await context.runThenStatus(source)
        },
        BadInput(id: "unreadable-file", category: .sources, situation: "a file the user may not read (mode 000)",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "cannot open the file: Permission denied") { context in
            try await unreadable(context, file: true)
        },
        BadInput(id: "unreadable-directory", category: .sources, situation: "a subdirectory the user may not read",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "the directory cannot be read: Permission denied") { context in
            try await unreadable(context, file: false)
        },
        BadInput(id: "empty-source", category: .sources, situation: "an empty source directory",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "completed") { context in
            try await context.runThenStatus(try context.source("empty", [:]))
        },
        BadInput(id: "source-missing", category: .sources, situation: "a source path that does not exist",
                 command: "ingest submit PATH", exitCode: 66, message: "does not exist") { context in
            try await context.ingest(["submit", context.world.path("no-such-source")])
        },
        BadInput(id: "source-empty-argument", category: .sources, situation: "an empty source argument",
                 command: "ingest submit \"\"", exitCode: 64, message: "SOURCE must not be empty") { context in
            try await context.ingest(["submit", ""])
        },
        BadInput(id: "source-vanished", category: .sources, situation: "the source directory is deleted between submit and run",
                 command: "ingest run", exitCode: 1, message: "cannot be read: No such file or directory") { context in
            let source = try context.source()
            try await context.submit(source)
            try FileManager.default.removeItem(atPath: source)
            return try await context.ingest(["run", "--progress", "none"])
        },
    ]

    /// A source with one readable file and one unreadable file or directory, ingested as an
    /// unprivileged user (root would read it anyway) into a store that user may write.
    private static func unreadable(_ context: CatalogueContext, file: Bool) async throws -> ProcessOutput {
        let shared = try context.world.makeDirectory("shared")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: shared)
        let source = try context.source("shared/source", ["ok.txt": Array("readable\n".utf8)])
        if file {
            try RunCorpus.writeText("secret\n", to: source + "/secret.txt")
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: source + "/secret.txt")
        } else {
            let closed = try context.world.makeDirectory("shared/source/closed")
            try RunCorpus.writeText("inside\n", to: closed + "/inner.txt")
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: closed)
        }
        let closed = source + (file ? "/secret.txt" : "/closed")
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: closed) }
        let store = shared + "/store"
        for arguments in [["submit", source, "--id", "job"], ["run", "--progress", "none"]] {
            let output = try await context.asUnprivileged(arguments + ["--store", store])
            try #require(output.status == 0, "setup: \(arguments): \(output.status) \(output.stderr)")
        }
        return try await context.asUnprivileged(["status", "job", "--store", store])
    }

    // MARK: Flags and values

    /// A row whose command fails argument validation before anything opens. The world's
    /// store is added unless the row is about `--store` itself or has no command to take it.
    private static func usage(_ id: String, _ situation: String, _ arguments: [String], message: String, withStore: Bool = true) -> BadInput {
        BadInput(id: id, category: .flags, situation: situation, command: "ingest " + arguments.map { $0.isEmpty || $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " "),
                 exitCode: 64, message: message) { context in
            try await context.raw(arguments + (withStore ? ["--store", context.world.store] : []))
        }
    }

    static let flags: [BadInput] = [
        usage("max-time-word", "a duration that is not one", ["run", "--max-time", "soon"], message: "is not a duration"),
        usage("workers-zero", "zero workers", ["run", "--workers", "0"], message: "--workers must be between 1 and 256"),
        usage("workers-negative", "a negative number (read as a flag)", ["run", "--workers", "-1"], message: "Missing value for '--workers"),
        usage("shutdown-grace-word", "a shutdown grace that is not a duration", ["run", "--shutdown-grace", "abc"], message: "is not a duration"),
        usage("min-free-disk-word", "a free-disk size that is not one", ["run", "--min-free-disk", "lots"], message: "is not a size"),
        usage("chunk-size-zero", "a chunk size of 0", ["submit", "SOURCE", "--chunk-size", "0"], message: "is too small"),
        usage("overlap-too-big", "an overlap over half the chunk size", ["submit", "SOURCE", "--chunk-size", "100", "--overlap", "200"],
              message: "must be less than half of the chunk size"),
        usage("embedder-unknown", "an embedder that does not exist", ["submit", "SOURCE", "--embedder", "bogus"], message: "unknown embedder"),
        usage("bad-glob", "an include glob that does not parse", ["submit", "SOURCE", "--include", "["], message: "is never closed"),
        usage("progress-unknown", "an unknown --progress mode", ["run", "--progress", "sideways"], message: "is invalid for '--progress"),
        usage("log-level-unknown", "an unknown --log-level", ["status", "--log-level", "loud"], message: "is invalid for '--log-level"),
        usage("unknown-flag", "a flag no command has", ["status", "--frobnicate"], message: "Unknown option '--frobnicate'"),
        usage("unknown-command", "a command that does not exist", ["frobnicate"], message: "Unexpected argument 'frobnicate'", withStore: false),
        usage("bad-job-id", "a job id with a space", ["status", "bad id"], message: "may only hold"),
        usage("list-status-unknown", "a status that does not exist", ["list", "--status", "sleeping"], message: "unknown status"),
        usage("search-k-zero", "-k 0 for a search", ["search", "otters", "-k", "0"], message: "-k must be between 1 and 1000"),
        usage("store-empty-flag", "--store with an empty path", ["status", "--store", ""], message: "--store needs a path", withStore: false),
    ]

    // MARK: Environment

    private static func environmentRow(
        _ id: String, _ situation: String, exitCode: Int32, message: String,
        _ environment: @escaping @Sendable (CatalogueContext) throws -> [String: String?]
    ) -> BadInput {
        BadInput(id: id, category: .environment, situation: situation, command: "ingest status", exitCode: exitCode, message: message) { context in
            try await context.raw(["status"], environment: try environment(context))
        }
    }

    static let environment: [BadInput] = [
        environmentRow("ingest-store-empty", "INGEST_STORE set but empty (the XDG default is used)", exitCode: 66, message: "xdg/ingest") { _ in
            ["INGEST_STORE": ""]
        },
        environmentRow("ingest-store-relative", "INGEST_STORE is a relative path (resolved from the working directory)", exitCode: 66,
                       message: "/relative-store-that-is-not-there") { _ in
            ["INGEST_STORE": "relative-store-that-is-not-there"]
        },
        environmentRow("ingest-store-file", "INGEST_STORE names a regular file", exitCode: 73, message: "it is a file, not a directory") { context in
            let file = context.world.path("a-file")
            try RunCorpus.writeText("not a store\n", to: file)
            return ["INGEST_STORE": file]
        },
        environmentRow("home-unset", "HOME unset (XDG_STATE_HOME is enough)", exitCode: 66, message: "xdg/ingest") { _ in
            ["HOME": nil]
        },
        environmentRow("xdg-relative", "XDG_STATE_HOME relative (ignored, as the spec says)", exitCode: 66, message: "home/.local/state/ingest") { _ in
            ["XDG_STATE_HOME": "relative/state"]
        },
    ]

    // MARK: Stores

    static let stores: [BadInput] = [
        BadInput(id: "store-missing", category: .stores, situation: "--store names a directory that does not exist",
                 command: "ingest status", exitCode: 66, message: "no store at") { context in
            try await context.ingest(["status"], store: context.world.path("nowhere"))
        },
        BadInput(id: "store-is-file", category: .stores, situation: "--store names a regular file",
                 command: "ingest submit SOURCE", exitCode: 73, message: "it is a file, not a directory") { context in
            let file = context.world.path("a-file")
            try RunCorpus.writeText("not a store\n", to: file)
            return try await context.ingest(["submit", try context.source()], store: file)
        },
        BadInput(id: "store-foreign", category: .stores, situation: "data.mdb is some other file",
                 command: "ingest status", exitCode: 65, message: "data.mdb is not an LMDB file") { context in
            let store = try context.world.makeDirectory("foreign")
            try RunCorpus.writeText(String(repeating: "not lmdb at all ", count: 1000), to: store + "/data.mdb")
            return try await context.ingest(["status"], store: store)
        },
        BadInput(id: "store-zero-bytes", category: .stores, situation: "data.mdb is empty (a first submit cut off)",
                 command: "ingest status", exitCode: 66, message: "no store at") { context in
            let store = try context.world.makeDirectory("zero")
            try RunCorpus.writeBytes([], to: store + "/data.mdb")
            return try await context.ingest(["status"], store: store)
        },
        BadInput(id: "store-truncated", category: .stores, situation: "data.mdb cut short",
                 command: "ingest status", exitCode: 65, message: "data.mdb is truncated") { context in
            _ = try await context.submittedStore()
            try context.damage { image in image.bytes.removeLast(image.bytes.count - 3 * image.pageSize) }
            return try await context.ingest(["status"])
        },
        BadInput(id: "store-newer-schema", category: .stores, situation: "a store written by a newer ingest",
                 command: "ingest status", exitCode: 65, message: "schema version 9") { context in
            _ = try await context.submittedStore()
            try context.damage { image in
                // The stored version (a big-endian u32 below 9, whichever this build writes) → 9.
                let key = Array("schema_version".utf8)
                for node in image.leafNodes(withKey: key) {
                    if let value = node.value, value.count == 4, image.bytes[value.lowerBound..<(value.upperBound - 1)].allSatisfy({ $0 == 0 }) {
                        image.bytes[value.upperBound - 1] = 9
                    }
                }
            }
            return try await context.ingest(["status"])
        },
        BadInput(id: "store-meta-flip", category: .stores, situation: "a flipped bit in meta page 1",
                 command: "ingest status", exitCode: 65, message: "meta page 1") { context in
            _ = try await context.submittedStore()
            try context.damage { image in image.bytes[image.metaOffset(1, .magic)] ^= 0x04 }
            return try await context.ingest(["status"])
        },
        BadInput(id: "store-record-flip", category: .stores, situation: "a damaged job record",
                 command: "ingest status ID", exitCode: 65, message: "record job in jobs cannot be read") { context in
            _ = try await context.submittedStore()
            try context.damage { image in
                for node in image.leafNodes(withKey: Array("job".utf8)) where (node.value?.count ?? 0) > 30 {
                    if let value = node.value { image.bytes[value.lowerBound] = 0x7F }
                }
            }
            return try await context.ingest(["status", "job"])
        },
        BadInput(id: "store-value-past-file", category: .stores, situation: "a value size pointing gigabytes past the file",
                 command: "ingest status ID", exitCode: 65, message: "is damaged") { context in
            _ = try await context.submittedStore()
            try context.damage { image in
                for node in image.leafNodes(withKey: Array("job".utf8)) where (node.value?.count ?? 0) > 30 {
                    image.bytes[node.offset + 2] = 0xFF
                    image.bytes[node.offset + 3] = 0xFF
                }
            }
            return try await context.ingest(["status", "job"])
        },
        BadInput(id: "lock-garbage-free", category: .stores, situation: "lock.mdb is garbage, nobody has the store open",
                 command: "ingest status", exitCode: 0, message: "pending") { context in
            let store = try await context.submittedStore()
            try RunCorpus.writeBytes(Array(repeating: 0x5A, count: 8192), to: store + "/lock.mdb")
            return try await context.ingest(["status"])
        },
        BadInput(id: "lock-garbage-held", category: .stores, situation: "lock.mdb is garbage and another process holds it",
                 command: "ingest status", exitCode: 65, message: "lock.mdb is not a lock file this LMDB can use") { context in
            let store = try await context.submittedStore()
            try RunCorpus.writeBytes(Array(repeating: 0x5A, count: 8192), to: store + "/lock.mdb")
            let holder = try DamagedFilesTests.LockHolder(store + "/lock.mdb")
            defer { holder.release() }
            return try await context.ingest(["status"])
        },
        BadInput(id: "store-read-only-read", category: .stores, situation: "a store made read-only (chmod a-w), read by its user",
                 command: "ingest status", exitCode: 0, message: "pending") { context in
            let store = try await readOnlyStore(context)
            return try await context.asUnprivileged(["status", "--store", store])
        },
        BadInput(id: "store-read-only-write", category: .stores, situation: "a store made read-only (chmod a-w), written to",
                 command: "ingest submit SOURCE", exitCode: 73, message: "Permission denied") { context in
            let store = try await readOnlyStore(context)
            return try await context.asUnprivileged(["submit", try context.source("other"), "--store", store])
        },
    ]

    /// A store with one job, its directory 0555 and files 0444.
    private static func readOnlyStore(_ context: CatalogueContext) async throws -> String {
        let store = try await context.submittedStore()
        for file in try FileManager.default.contentsOfDirectory(atPath: store) {
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: store + "/" + file)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: store)
        return store
    }

    // MARK: Embedder commands

    static let embedders: [BadInput] = [
        BadInput(id: "embedder-missing", category: .embedders, situation: "exec: a command that does not exist",
                 command: "ingest run", exitCode: 1, message: "could not start the command: not found") { context in
            try await context.submit(try context.source(), ["--embedder", "exec:\(context.world.path("no-such-model"))", "--dimension", "8"])
            return try await context.ingest(["run", "--progress", "none"])
        },
        BadInput(id: "embedder-exits", category: .embedders, situation: "exec: a command that exits 3",
                 command: "ingest run", exitCode: 1, message: "exited with status 3") { context in
            try await context.submit(try context.source(), try context.execEmbedder(RunScripts.crash, "crash.py"))
            return try await context.ingest(["run", "--progress", "none"])
        },
        BadInput(id: "embedder-garbage", category: .embedders, situation: "exec: a command that prints garbage",
                 command: "ingest run", exitCode: 1, message: "answered a line that is not JSON") { context in
            try await context.submit(try context.source(), try context.execEmbedder(CatalogueScripts.garbage, "garbage.py"))
            return try await context.ingest(["run", "--progress", "none"])
        },
        BadInput(id: "embedder-hangs", category: .embedders, situation: "exec: a command that never answers (--embed-timeout 1s)",
                 command: "ingest run", exitCode: 1, message: "did not answer within 1 s") { context in
            try await context.submit(try context.source(), try context.execEmbedder(RunScripts.hang, "hang.py") + ["--embed-timeout", "1s"])
            return try await context.ingest(["run", "--progress", "none"])
        },
        BadInput(id: "embedder-wrong-dimension", category: .embedders, situation: "exec: vectors of the wrong dimension",
                 command: "ingest run; ingest status ID", exitCode: 0, message: "gave a vector of 5 numbers") { context in
            try await context.runThenStatus(try context.source(), try context.execEmbedder(RunScripts.embed, "embed.py", arguments: "5"))
        },
        BadInput(id: "embedder-crash-midstream", category: .embedders, situation: "exec: a command that dies after its first answer",
                 command: "ingest run", exitCode: 0, message: "exited with status 9 before answering") { context in
            try RunCorpus.write(into: context.world.path("many"), files: 40, bytes: 200, seed: 5)
            try await context.submit(context.world.path("many"), try context.execEmbedder(CatalogueScripts.midStream, "mid.py"))
            return try await context.ingest(["run", "--progress", "none"])
        },
    ]

    // MARK: Signals

    static let signals: [BadInput] = [
        BadInput(id: "sigterm", category: .signals, situation: "SIGTERM while a batch is in flight",
                 command: "ingest run", exitCode: 75, message: "paused (shutdown)") { context in
            let (run, _) = try await context.gatedRun(["--shutdown-grace", "1s"])
            defer { run.killIfRunning() }
            run.send(SIGTERM)
            return try await run.wait(timeout: .seconds(60)).output
        },
        BadInput(id: "second-sigint", category: .signals, situation: "Ctrl-C twice",
                 command: "ingest run", exitCode: 75, message: "second interrupt; exiting now") { context in
            let (run, _) = try await context.gatedRun(["--shutdown-grace", "60s"])
            defer { run.killIfRunning() }
            run.send(SIGINT)
            // Two signals sent at once merge into one; a second Ctrl-C comes a moment later.
            try await Task.sleep(for: .milliseconds(250))
            run.send(SIGINT)
            return try await run.wait(timeout: .seconds(60)).output
        },
        BadInput(id: "sigkill-then-run", category: .signals, situation: "SIGKILL mid-run, then run again",
                 command: "ingest run", exitCode: 0, message: "job  completed") { context in
            let (run, gate) = try await context.gatedRun([])
            run.send(SIGKILL)
            _ = try await run.wait(timeout: .seconds(60))
            try FileManager.default.removeItem(atPath: gate)
            return try await context.ingest(["run", "--progress", "none"])
        },
    ]

    // MARK: Jobs

    static let jobs: [BadInput] = [
        BadInput(id: "unknown-job", category: .jobs, situation: "a job id that is not in the store",
                 command: "ingest status ID", exitCode: 66, message: "no job nosuch in this store") { context in
            _ = try await context.submittedStore()
            return try await context.ingest(["status", "nosuch"])
        },
        BadInput(id: "run-unknown-job", category: .jobs, situation: "run --job with an unknown id",
                 command: "ingest run --job ID", exitCode: 66, message: "no job nosuch in this store") { context in
            _ = try await context.submittedStore()
            return try await context.ingest(["run", "--job", "nosuch"])
        },
        BadInput(id: "resume-not-paused", category: .jobs, situation: "resume a job that is not paused",
                 command: "ingest resume ID", exitCode: 0, message: "was not paused") { context in
            _ = try await context.submittedStore()
            return try await context.ingest(["resume", "job"])
        },
        BadInput(id: "retry-not-failed", category: .jobs, situation: "retry a job that did not fail",
                 command: "ingest retry ID", exitCode: 65, message: "there is nothing to retry") { context in
            _ = try await context.runThenStatus(try context.source())
            return try await context.ingest(["retry", "job"])
        },
        BadInput(id: "pause-completed", category: .jobs, situation: "pause a completed job",
                 command: "ingest pause ID", exitCode: 65, message: "there is nothing to pause") { context in
            _ = try await context.runThenStatus(try context.source())
            return try await context.ingest(["pause", "job"])
        },
        BadInput(id: "duplicate-id-other-source", category: .jobs, situation: "submit an id again with another source",
                 command: "ingest submit SOURCE --id ID", exitCode: 65, message: "already exists with source") { context in
            _ = try await context.submittedStore()
            return try await context.ingest(["submit", try context.source("other"), "--id", "job"])
        },
        BadInput(id: "duplicate-id-same", category: .jobs, situation: "submit the same id, source and settings again",
                 command: "ingest submit SOURCE --id ID", exitCode: 0, message: "was already submitted") { context in
            _ = try await context.submittedStore()
            return try await context.ingest(["submit", context.world.path("source"), "--id", "job"])
        },
        BadInput(id: "backup-into-full-directory", category: .jobs, situation: "back up into a directory that is not empty",
                 command: "ingest backup DEST", exitCode: 73, message: "is not an empty directory") { context in
            _ = try await context.submittedStore()
            let destination = try context.source("occupied")
            return try await context.ingest(["backup", destination])
        },
    ]
}
