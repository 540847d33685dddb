import Foundation
import IngestCore
import IngestStore
import IngestTestSupport
import Testing

@testable import IngestRunner

/// `--pause-on-battery`: the sysfs reading, and the runner pausing with `on_battery`.
struct PowerSupplyTests {
    /// A fake `/sys/class/power_supply` with the given supplies (name → attributes).
    private func fakeTree(_ supplies: [String: [String: String]]) throws -> TemporaryDirectory {
        let root = TemporaryDirectory("power")
        for (name, attributes) in supplies {
            try FileManager.default.createDirectory(atPath: root.appending(name), withIntermediateDirectories: true)
            for (attribute, value) in attributes {
                try (value + "\n").write(toFile: root.appending(name + "/" + attribute), atomically: true, encoding: .utf8)
            }
        }
        return root
    }

    @Test func readsAdaptersAndBatteries() throws {
        let cases: [([String: [String: String]], Bool)] = [
            ([:], false),
            (["AC": ["type": "Mains", "online": "1"], "BAT0": ["type": "Battery", "status": "Charging"]], false),
            (["AC": ["type": "Mains", "online": "0"], "BAT0": ["type": "Battery", "status": "Discharging"]], true),
            (["BAT0": ["type": "Battery", "status": "Discharging"]], true),
            (["BAT0": ["type": "Battery", "status": "Full"]], false),
            (["usb": ["type": "USB_PD", "online": "1"], "BAT0": ["type": "Battery", "status": "Discharging"]], false),
        ]
        for (supplies, expected) in cases {
            let tree = try fakeTree(supplies)
            #expect(PowerSupply(root: tree.path).isOnBattery == expected, "\(supplies)")
        }
        #expect(PowerSupply(root: "/nonexistent/power").isOnBattery == false)
    }

    @Test("a run pauses with on_battery when the box goes on battery, and starts nothing while it is")
    func runnerPausesOnBattery() async throws {
        let host = try Host()
        let id = try host.submit("battery", n: 2000)
        let onBattery = Counter()
        let slow = SquareFetch(hook: { value in
            if value == 50 { onBattery.increment() }
            try await Task.sleep(for: .milliseconds(2))
            return nil
        })
        let configuration = RunnerConfiguration(
            workers: 2, groupCommitItems: 16, groupCommitInterval: .milliseconds(20), shutdownGrace: .seconds(10),
            onBattery: { onBattery.current > 0 }
        )
        let report = try await host.runner(configuration, fetch: slow).boundedRun(stop: StopController())
        #expect(report.outcome(of: id) == .paused(.onBattery))
        #expect(report.workRemains)
        let job = try #require(try host.store.job(id))
        #expect(job.phases.filter { $0.status != .completed }.allSatisfy { $0.pauseReason == .onBattery })

        // Still on battery: nothing starts.
        let again = try await host.runner(configuration).boundedRun(stop: StopController())
        #expect(again.outcomes.isEmpty && again.workRemains)
    }
}
