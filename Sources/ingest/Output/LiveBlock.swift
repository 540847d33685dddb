import Foundation

/// A block of lines on a terminal, redrawn in place: the cursor goes back up over the
/// block (`ESC [ n A`), each line is erased (`ESC [ 2 K`) and written anew, and whatever
/// is left of a taller earlier block is erased below (`ESC [ J`).
///
/// Every line ends with a newline, so between redraws the cursor rests at the start of
/// the line below the block and anything else printed there (`printAbove`) simply pushes
/// the block down. Lines are cut to the terminal's width and the block to its height:
/// a wrapped line or a block taller than the screen would throw the cursor count off.
///
/// Not thread-safe: its owner calls it from one thread or queue at a time.
struct LiveBlock {
    private let output: FileHandle
    private let descriptor: Int32
    /// How many lines of the block are on the screen now.
    private var shown = 0

    init(output: FileHandle, descriptor: Int32) {
        self.output = output
        self.descriptor = descriptor
    }

    /// Replaces the block with `lines`.
    mutating func redraw(_ lines: [String]) {
        write(up() + draw(lines))
    }

    /// Prints `line` for good above the block, and draws the block as `lines` below it.
    mutating func printAbove(_ line: String, then lines: [String]) {
        write(up() + "\u{1B}[J" + line + "\n" + draw(lines))
    }

    /// Erases the block; the cursor ends where the block began.
    mutating func clear() {
        guard shown > 0 else { return }
        write(up() + "\u{1B}[J")
    }

    /// Leaves the block on the screen as it is and forgets it: what is printed next goes below.
    mutating func leave() {
        shown = 0
    }

    /// Back to the start of the block's first line.
    private mutating func up() -> String {
        defer { shown = 0 }
        return shown > 0 ? "\r\u{1B}[\(shown)A" : "\r"
    }

    private mutating func draw(_ lines: [String]) -> String {
        let size = TerminalSize.of(descriptor)
        var fitted = lines
        // One row stays free for the cursor; a block taller than that would scroll its own top away.
        let rows = max(1, size.rows - 1)
        if fitted.count > rows {
            let hidden = fitted.count - (rows - 1)
            fitted = Array(fitted.prefix(rows - 1)) + ["… and \(hidden) more lines"]
        }
        shown = fitted.count
        let width = max(10, size.columns - 1)
        return fitted.map { "\u{1B}[2K" + Self.cut($0, to: width) + "\n" }.joined() + "\u{1B}[J"
    }

    /// `text` on one line (control characters, a newline in an error message say, become
    /// spaces) and cut to `width` characters, with `…` where it was cut.
    static func cut(_ text: String, to width: Int) -> String {
        let flat = String(text.map { $0.isASCII && ($0.asciiValue ?? 0x20) < 0x20 || $0 == "\u{7F}" ? " " : $0 })
        guard flat.count > width else { return flat }
        return String(flat.prefix(width - 1)) + "…"
    }

    private func write(_ text: String) {
        // A closed terminal or pipe is no reason to stop the work being shown.
        try? output.write(contentsOf: Data(text.utf8))
    }
}
