import ArgumentParser
import Foundation
import IngestStore
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

    func validate() throws {
        if let store, store.isEmpty { throw ValidationError("--store needs a path") }
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
        try JobStore.open(at: resolvedPath, mode: .readOnly, logger: CLILogging.logger)
    }

    /// Opens the store for writing; creates it only when `create` is set.
    func openForWriting(create: Bool) throws -> JobStore {
        try JobStore.open(at: resolvedPath, mode: .readWrite, createIfMissing: create, logger: CLILogging.logger)
    }
}

/// The command line's logger: swift-log to stderr.
enum CLILogging {
    static let logger: Logger = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        return Logger(label: "ingest")
    }()
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
