import Foundation
import Synchronization

/// Standard error, for everything the CLI writes there: error lines, log lines and progress.
///
/// While `ingest run` draws live lines at the bottom of a terminal, anything written straight
/// to the terminal would land under the block and be drawn over by the next redraw (and
/// leave a stale line above it). So while a block is up, the display takes the text and
/// prints it above the block instead.
enum StandardError {
    private static let sink = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Writes `text` (whole lines, each ending in a newline) to standard error, or above the live block.
    static func write(_ text: String) {
        if let sink = sink.withLock({ $0 }) {
            sink(text)
            return
        }
        // A closed terminal or pipe is no reason to stop the work being reported.
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// Sends what is written to standard error to `sink` from now on; `nil` writes it directly again.
    static func redirect(to sink: (@Sendable (String) -> Void)?) {
        self.sink.withLock { $0 = sink }
    }
}

/// `StandardError` as a stream for swift-log's `StreamLogHandler`, which writes each log
/// line in one call.
struct StandardErrorStream: TextOutputStream, Sendable {
    mutating func write(_ string: String) {
        StandardError.write(string)
    }
}
