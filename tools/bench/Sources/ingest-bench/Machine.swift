internal import Foundation

#if canImport(Glibc)
internal import Glibc
#endif

/// What the benchmark ran on.
struct Machine: Codable {
    var cpuModel: String
    var cores: Int
    var memoryGiB: Double
    var kernel: String
    var dataDirectory: String
    var fileSystem: String
    var device: String
    var mountOptions: String
    var loadAverageAtStart: String
    var swiftVersion: String

    /// The block device name under /sys/block (e.g. `vda`), for whole-device write counts.
    var blockDevice: String? {
        guard device.hasPrefix("/dev/") else { return nil }
        var name = String(device.dropFirst(5))
        if !FileManager.default.fileExists(atPath: "/sys/block/\(name)") {
            // A partition (vda1, nvme0n1p2): its disk is the /sys/block entry holding it.
            while let last = name.last, last.isNumber { name.removeLast() }
            if name.hasSuffix("p"), !FileManager.default.fileExists(atPath: "/sys/block/\(name)") { name.removeLast() }
        }
        return FileManager.default.fileExists(atPath: "/sys/block/\(name)") ? name : nil
    }

    static func current(dataDirectory: String) -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memKiB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { Double($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let (fsType, source, options) = mount(of: dataDirectory)
        return Machine(
            cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount, memoryGiB: memKiB / 1_048_576,
            kernel: release, dataDirectory: dataDirectory, fileSystem: fsType, device: source, mountOptions: options,
            loadAverageAtStart: loadAverage(), swiftVersion: swiftVersion()
        )
    }

    /// The mount holding `path`: the longest mount point that prefixes it, from /proc/self/mountinfo.
    static func mount(of path: String) -> (type: String, source: String, options: String) {
        let real = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? path
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        var best: (length: Int, type: String, source: String, options: String) = (-1, "?", "?", "")
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count > 5, right.count > 1 else { continue }
            let point = String(left[4]).replacingOccurrences(of: "\\040", with: " ")
            let matches = point == "/" || real == point || real.hasPrefix(point + "/")
            if matches && point.count > best.length {
                best = (point.count, String(right[0]), String(right[1]), String(left[5]))
            }
        }
        return (best.type, best.source, best.options)
    }

    static func swiftVersion() -> String {
        guard let result = try? runCommand(["/usr/bin/env", "swift", "--version"]) else { return "?" }
        return (result.stdout + result.stderr).split(separator: "\n").first { $0.contains("Swift version") }
            .map(String.init) ?? "?"
    }

    var summary: String {
        """
        machine: \(cpuModel), \(cores) cores, \(fmt(memoryGiB)) GiB, Linux \(kernel)
        data dir: \(dataDirectory) on \(fileSystem) \(device) (\(mountOptions)); load average at start \(loadAverageAtStart)
        \(swiftVersion)
        """
    }
}
