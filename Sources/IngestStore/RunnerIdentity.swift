internal import Foundation

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

    /// `/proc/sys/kernel/random/boot_id`, trimmed.
    static func currentBootID() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Field 22 of `/proc/PID/stat`: the process's start time in clock ticks since boot.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return nil
        }
        // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name come fields 3, 4, …; field 22 is the 20th of them.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
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
