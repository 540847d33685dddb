import ArgumentParser
import Foundation
import IngestStore
import LMDBKit
import Logging

/// `--store PATH`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).",
            valueName: "path"
        )
    )
    var store: String?

    @Option(help: ArgumentHelp("Log level on stderr: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: LogLevelArgument = LogLevelArgument(.warning)

    @Option(help: ArgumentHelp("Log format on stderr: text, or json (one object per line, journald-friendly).", valueName: "format"))
    var logFormat: LogFormat = .text

    func validate() throws {
        if let store, store.isEmpty { throw ValidationError("--store needs a path") }
        CLILogging.configure(level: logLevel.level, format: logFormat)
        AllocatorTuning.applyOnce(logger: CLILogging.logger)
        Self.installFaultGuard()
    }

    /// `INGEST_FAULT=unguarded`: the test-only switch for the damaged-store tests' negative
    /// control — no fault guard and no bounds checks, so a damaged page crashes the process.
    private static var unguarded: Bool { ProcessInfo.processInfo.environment["INGEST_FAULT"] == "unguarded" }

    /// A damaged page can make LMDB fault inside its own code (see `FaultGuard`): the user
    /// gets exit 65 and a line naming the store instead of a crash.
    private static func installFaultGuard() {
        guard !unguarded else { return }
        FaultGuard.install(exitStatus: ExitStatus.badData.rawValue) { path in
            "ingest: error: the store at \(path) is damaged (LMDB ran into a page outside the file or a bad pointer); "
                + "the command stopped without committing the transaction it was in — run `ingest verify`, and restore the store from a backup"
        }
    }

    /// The store path: the flag, else `INGEST_STORE`, else the XDG state directory.
    var resolvedPath: String {
        if let store, !store.isEmpty { return absolute(store) }
        let environment = ProcessInfo.processInfo.environment
        if let fromEnvironment = environment["INGEST_STORE"], !fromEnvironment.isEmpty {
            return absolute(fromEnvironment)
        }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/ingest"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/ingest"
    }

    private func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return FileManager.default.currentDirectoryPath + "/" + expanded
    }

    /// Opens the store for reading: never creates anything.
    func openForReading() throws -> JobStore {
        try JobStore.open(at: resolvedPath, mode: .readOnly, options: Self.readOptions, logger: CLILogging.logger)
    }

    /// Opens the store for writing; creates it only when `create` is set.
    func openForWriting(create: Bool) throws -> JobStore {
        try JobStore.open(
            at: resolvedPath, mode: .readWrite, createIfMissing: create, options: Self.writeOptions, logger: CLILogging.logger
        )
    }

    /// Full sync, always — except under `INGEST_FAULT=nosync`, the test-only switch the
    /// power-cut harness (tools/powercut) uses for its negative control: with LMDB's
    /// `MDB_NOSYNC` a simulated power cut must lose acknowledged work.
    private static var writeOptions: EnvironmentOptions {
        var options = readOptions
        if ProcessInfo.processInfo.environment["INGEST_FAULT"] == "nosync" { options.durability = .noSync }
        return options
    }

    private static var readOptions: EnvironmentOptions {
        var options = EnvironmentOptions()
        options.checksMapBounds = !unguarded
        return options
    }
}

/// The command line's logging: swift-log to stderr, set up once from `--log-level` and
/// `--log-format` before any command runs.
enum CLILogging {
    private static let state = LoggingState()

    static func configure(level: Logger.Level, format: LogFormat) {
        state.configure(level: level, format: format)
    }

    static var logger: Logger {
        state.configure(level: .warning, format: .text)
        return Logger(label: "ingest")
    }
}

private final class LoggingState: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    /// The first call wins: `LoggingSystem.bootstrap` may run only once per process.
    func configure(level: Logger.Level, format: LogFormat) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                // Through `StandardError`, so a log line never lands under `ingest run`'s live lines.
                var handler = StreamLogHandler(label: label, stream: StandardErrorStream())
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// `--log-format`.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--log-level`, spelled as swift-log spells its levels.
struct LogLevelArgument: ExpressibleByArgument {
    let level: Logger.Level

    init(_ level: Logger.Level) { self.level = level }

    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }

    var defaultValueDescription: String { level.rawValue }

    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    StandardError.write(line + "\n")
}
