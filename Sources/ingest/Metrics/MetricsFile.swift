import Foundation

/// Writes a metrics file the way node_exporter's textfile collector needs it: to a temporary
/// file in the same directory, then renamed over the old one, so a scrape — or a power cut —
/// sees either the old file or the new one, never half of one.
struct MetricsFile {
    let path: String

    func write(_ text: String) throws {
        let url = URL(fileURLWithPath: path)
        // The collector reads only *.prom files, so the temporary name must not end in .prom.
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            // rename(2) replaces the old file atomically. No fsync: the file is rewritten every
            // few seconds, and syncing it would cost an SD card writes for figures the store
            // can always give again (`ingest metrics`).
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError(
                message: "cannot write the metrics file \(path): \(error.localizedDescription); check that its directory exists and is writable",
                exitCode: ExitStatus.cannotCreate
            )
        }
    }
}
