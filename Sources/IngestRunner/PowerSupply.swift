internal import Foundation

/// Tells whether the box runs on battery, from `/sys/class/power_supply` (Linux).
///
/// On battery means: an AC adapter (`type` Mains, USB or USB_*) reports `online` 0, or — with
/// no adapter to ask — a battery reports `status` Discharging. A box with no power supply
/// entries (a server, a VM) never is.
public struct PowerSupply: Sendable {
    /// The sysfs directory; tests point it at a fake tree.
    public let root: String

    /// A probe of the power supplies under `root`.
    public init(root: String = "/sys/class/power_supply") {
        self.root = root
    }

    /// Whether the box runs on battery now; read afresh on every call.
    public var isOnBattery: Bool {
        let supplies = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var adapters: [Bool] = []
        var discharging = false
        for supply in supplies.sorted() {
            let type = read(supply, "type")
            if type == "Battery" {
                discharging = discharging || read(supply, "status") == "Discharging"
            } else if type == "Mains" || type?.hasPrefix("USB") == true {
                if let online = read(supply, "online") { adapters.append(online == "1") }
            }
        }
        if !adapters.isEmpty { return !adapters.contains(true) }
        return discharging
    }

    private func read(_ supply: String, _ attribute: String) -> String? {
        (try? String(contentsOfFile: root + "/" + supply + "/" + attribute, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
