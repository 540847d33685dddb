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
    public var isLive: Bool {
        guard let boot = Self.currentBootID(), boot == bootID else { return false }
        return Self.startTicks(of: pid) == startTicks
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
    ///
    /// Read with plain `open`/`read` into a stack buffer and parsed as bytes: this runs for
    /// every leased job a status or list command shows, so it must not allocate.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard pid > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer -> UInt64? in
            let descriptor = procStatPath(pid).withUnsafeBufferPointer { path -> Int32 in
                path.withMemoryRebound(to: CChar.self) { characters in
                    guard let start = characters.baseAddress else { return -1 }
                    return open(start, O_RDONLY | O_CLOEXEC)
                }
            }
            guard descriptor >= 0 else { return nil }
            defer { close(descriptor) }
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            guard count > 0 else { return nil }
            return parseStartTicks(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// `/proc/PID/stat` as a NUL-terminated C string.
    private static func procStatPath(_ pid: Int32) -> ContiguousArray<UInt8> {
        var path = ContiguousArray<UInt8>()
        path.reserveCapacity(32)
        path.append(contentsOf: "/proc/".utf8)
        let digitsStart = path.count
        var value = pid
        repeat {
            path.append(UInt8(ascii: "0") + UInt8(value % 10))
            value /= 10
        } while value > 0
        path[digitsStart...].reverse()
        path.append(contentsOf: "/stat".utf8)
        path.append(0)
        return path
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
