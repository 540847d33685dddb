import Foundation

/// The size of the terminal a stream writes to, for fitting live lines to it.
struct TerminalSize: Equatable {
    var columns: Int
    var rows: Int

    /// What a terminal that will not say its size is taken to be.
    static let fallback = TerminalSize(columns: 80, rows: 24)

    /// The size of the terminal on `descriptor` (`TIOCGWINSZ`), else `COLUMNS`/`LINES`,
    /// else 80×24. Read again before every redraw, so a resized window is followed.
    static func of(_ descriptor: Int32) -> TerminalSize {
        var size = winsize()
        // A pseudo-terminal nobody sized (under `script` without a terminal, say) reports 0×0.
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return TerminalSize(columns: Int(size.ws_col), rows: Int(size.ws_row))
        }
        let environment = ProcessInfo.processInfo.environment
        let columns = environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        let rows = environment["LINES"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        return TerminalSize(columns: columns ?? fallback.columns, rows: rows ?? fallback.rows)
    }

    /// Whether `descriptor` is a terminal that understands cursor movement: a tty, and
    /// `TERM` is not `dumb` (Emacs shells, some CI consoles).
    static func isLiveTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}
