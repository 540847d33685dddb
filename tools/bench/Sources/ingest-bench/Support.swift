internal import Foundation
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

// MARK: Time

/// CLOCK_MONOTONIC in nanoseconds.
@inline(__always)
func nowNS() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

func seconds(_ ns: UInt64) -> Double { Double(ns) / 1e9 }

/// The value at quantile `q` (0…1) of `values` (sorted here), nearest-rank.
func quantile(_ values: [UInt64], _ q: Double) -> UInt64 {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[rank]
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// MARK: Shared state between threads

/// A stop flag that threads poll.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A value guarded by a mutex.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R { mutex.withLock(body) }
    var value: Value { mutex.withLock { $0 } }
}

/// Starts `count` threads running `body(index)` and waits for all of them.
func runThreads(_ count: Int, stackSize: Int = 1 << 20, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = stackSize
        thread.start()
    }
    group.wait()
}

// MARK: /proc and /sys readers

/// `write_bytes` of /proc/self/io (or of another pid): bytes this process caused to be sent to storage.
func processWriteBytes(pid: String = "self") -> UInt64 {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
        return UInt64(line.dropFirst("write_bytes:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }
    return 0
}

/// Sectors written on a block device (field 7 of /sys/block/DEV/stat), in bytes. Whole device:
/// it counts every process's writes and the file system's journal.
func deviceWriteBytes(_ device: String?) -> UInt64 {
    guard let device, let text = try? String(contentsOfFile: "/sys/block/\(device)/stat", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count > 6, let sectors = UInt64(fields[6]) else { return 0 }
    return sectors * 512
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
        .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

/// User + system CPU seconds of this process so far.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

// MARK: Files

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func makeDirectory(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

/// Total size of the regular files under `path`.
func treeBytes(_ path: String) -> UInt64 {
    guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total: UInt64 = 0
    while let relative = walker.nextObject() as? String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
        if attributes?[.type] as? FileAttributeType == .typeRegular {
            total += (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
        }
    }
    return total
}

func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

// MARK: Formatting

func fmt(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "-" }
    return String(format: "%.\(digits)f", value)
}

func fmtInt(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    let whole = Int(value.rounded())
    var text = String(whole)
    var index = text.count - 3
    while index > 0 {
        text.insert(",", at: text.index(text.startIndex, offsetBy: index))
        index -= 3
    }
    return text
}

/// A plain text table: a header row and right-aligned columns (the first left-aligned).
func table(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    func line(_ row: [String]) -> String {
        row.indices.map { column -> String in
            let cell = row[column]
            let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
            return column == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }
    let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
}
