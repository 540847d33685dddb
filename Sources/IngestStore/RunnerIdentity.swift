internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Who holds a lease: this boot, a process id and that process's start time.
///
/// A lease is live when its boot id is the current boot's and a process with that pid and
/// the same start time (in clock ticks since boot) is running. No wall clock is involved,
/// so it works on boxes without a real-time clock, and a runner killed a moment ago in this
/// boot is seen as dead at once — its pid is gone or belongs to a newer process.
public struct RunnerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The boot the process ran in (`/proc/sys/kernel/random/boot_id`).
    public let bootID: String
    /// The process id.
    public let pid: Int32
    /// The process's start time in clock ticks since boot, which tells a reused pid apart.
    public let startTicks: UInt64

    /// An identity from its parts; ``current()`` gives this process's.
    public init(bootID: String, pid: Int32, startTicks: UInt64) {
        self.bootID = bootID
        self.pid = pid
        self.startTicks = startTicks
    }

    /// This process's identity, or `nil` where `/proc` cannot tell it.
    public static func current() -> RunnerIdentity? {
        let pid = ProcessInfo.processInfo.processIdentifier
        guard let boot = currentBootID(), let start = startTicks(of: pid) else { return nil }
        return RunnerIdentity(bootID: boot, pid: pid, startTicks: start)
    }

    /// Whether the process this identity names is still running in this boot.
    ///
    /// A process found gone is remembered as gone: a boot id, pid and start
    /// time that have ended never run again, and a store of interrupted jobs is read, lease by
    /// lease, on every `status`, `list` and claim.
    public var isLive: Bool {
        guard let boot = Self.currentBootID(), boot == bootID else { return false }
        if DeadRunners.shared.contains(pid: pid, startTicks: startTicks) { return false }
        switch Self.lookUpStartTicks(of: pid) {
        case .found(let ticks) where ticks == startTicks:
            return true
        case .found, .noSuchProcess:
            DeadRunners.shared.remember(pid: pid, startTicks: startTicks)
            return false
        case .unreadable:
            // Not proof of death (out of descriptors, say): not remembered.
            return false
        }
    }

    /// The pid, the start of the boot id and the start time, for logs and the journal.
    public var description: String { "pid \(pid) (boot \(bootID.prefix(8)), start \(startTicks))" }

    /// `/proc/sys/kernel/random/boot_id`, trimmed. Read once: it cannot change while this
    /// process lives, and liveness checks run on every job read.
    static func currentBootID() -> String? { bootID }

    private static let bootID: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }()

    /// Field 22 of `/proc/PID/stat`: the process's start time in clock ticks since boot.
    static func startTicks(of pid: Int32) -> UInt64? {
        if case .found(let ticks) = lookUpStartTicks(of: pid) { return ticks }
        return nil
    }

    /// What `/proc/PID/stat` says about a process's start time.
    enum StartTicksLookup: Equatable {
        case found(UInt64)
        /// No process has this pid now.
        case noSuchProcess
        /// The file could not be opened or parsed for another reason.
        case unreadable
    }

    /// Reads `/proc/PID/stat` with plain `open`/`read` into stack buffers and parses it as
    /// bytes: this runs for every leased job a status or list command shows, so it must not
    /// allocate.
    static func lookUpStartTicks(of pid: Int32) -> StartTicksLookup {
        guard pid > 0 else { return .noSuchProcess }
        let descriptor = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { path -> Int32 in
            writeProcStatPath(pid, into: path)
            guard let start = path.baseAddress else { return -1 }
            return open(start, O_RDONLY | O_CLOEXEC)
        }
        guard descriptor >= 0 else { return errno == ENOENT || errno == ESRCH ? .noSuchProcess : .unreadable }
        defer { close(descriptor) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer -> StartTicksLookup in
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            // A process that exits between open and read leaves a file that reads ESRCH.
            guard count > 0 else { return count < 0 && errno == ESRCH ? .noSuchProcess : .unreadable }
            guard let ticks = parseStartTicks(UnsafeBufferPointer(rebasing: buffer[0..<count])) else { return .unreadable }
            return .found(ticks)
        }
    }

    /// Writes `/proc/PID/stat` and a NUL into `path` (32 bytes hold any `Int32` pid).
    private static func writeProcStatPath(_ pid: Int32, into path: UnsafeMutableBufferPointer<CChar>) {
        var index = 0
        func put(_ text: StaticString) {
            text.withUTF8Buffer { bytes in
                for byte in bytes {
                    path[index] = CChar(bitPattern: byte)
                    index += 1
                }
            }
        }
        put("/proc/")
        let digitsStart = index
        var value = pid
        repeat {
            path[index] = CChar(bitPattern: UInt8(ascii: "0") + UInt8(value % 10))
            index += 1
            value /= 10
        } while value > 0
        path[digitsStart..<index].reverse()
        put("/stat")
        path[index] = 0
    }

    /// Field 22 of a `/proc/PID/stat` line. The command name (field 2) is in parentheses and
    /// may itself hold spaces or ')', so fields are counted from the last ')'.
    static func parseStartTicks(_ line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let close = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After the name come fields 3, 4, …; field 22 is the 20th of them.
        var field = 0
        var index = close + 1
        while index < line.count {
            if line[index] == UInt8(ascii: " ") {
                field += 1
                index += 1
                continue
            }
            var value: UInt64 = 0
            var isNumber = true
            while index < line.count, line[index] != UInt8(ascii: " "), line[index] != UInt8(ascii: "\n") {
                let digit = line[index] &- UInt8(ascii: "0")
                if digit > 9 { isNumber = false } else {
                    let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
                    guard !overflow else { return nil }
                    value = scaled &+ UInt64(digit)
                }
                index += 1
            }
            if field == 20 { return isNumber ? value : nil }
            if index < line.count, line[index] == UInt8(ascii: "\n") { break }
        }
        return nil
    }
}

extension RunnerIdentity {
    static let version: UInt8 = 1

    func encoded(claimedAt: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(Self.version)
        writer.write(bootID)
        writer.write(UInt32(bitPattern: pid))
        writer.write(startTicks)
        writer.write(claimedAt)
        return writer.bytes
    }

    init(decoding buffer: UnsafeRawBufferPointer) throws(RecordError) {
        var reader = ByteReader(buffer)
        let version = try reader.readByte()
        guard version == Self.version else { throw .unknownVersion(version) }
        let boot = try reader.readString()
        let pid = Int32(bitPattern: try reader.readUInt32())
        let start = try reader.readUInt64()
        _ = try reader.readUInt64()
        try reader.expectEnd()
        self.init(bootID: boot, pid: pid, startTicks: start)
    }
}
