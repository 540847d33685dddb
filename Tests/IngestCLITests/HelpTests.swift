import Foundation
import IngestTestSupport
import Testing

@Suite("help")
struct HelpTests {
    @Test("--help of every command exits 0 and shows its usage", arguments: ["submit", "status", "list", "pause", "resume", "history"])
    func commandHelp(_ command: String) async throws {
        let sandbox = try Sandbox()
        for arguments in [[command, "--help"], ["help", command]] {
            let output = try await sandbox.runRaw(arguments)
            #expect(output.status == 0)
            #expect(output.stdout.contains("USAGE:"), "\(output.stdout)")
            #expect(output.stdout.contains("ingest \(command)"), "\(output.stdout)")
            #expect(output.stdout.contains("--store"), "\(output.stdout)")
            if ["status", "list", "history"].contains(command) {
                #expect(output.stdout.contains("--json"), "read command \(command) lacks --json")
            }
        }
        #expect(!fileExists(sandbox.path("xdg-default")), "help created a store")
    }

    @Test("ingest --help lists the commands and the exit codes")
    func topLevelHelp() async throws {
        let sandbox = try Sandbox()
        let output = try await sandbox.runRaw(["--help"])
        #expect(output.status == 0)
        for command in ["submit", "status", "list", "pause", "resume", "history"] {
            #expect(output.stdout.contains(command), "top-level help lacks \(command)")
        }
        #expect(output.stdout.contains("EXIT STATUS") || output.stdout.lowercased().contains("exit"))
        let words = Set(output.stdout.split(whereSeparator: { !$0.isNumber }).map(String.init))
        for code in ["0", "1", "64", "65", "66", "70", "73", "74", "75"] {
            #expect(words.contains(code), "top-level help does not mention exit code \(code)")
        }
        #expect(!fileExists(sandbox.path("xdg-default")), "help created a store")
    }

    @Test("--version exits 0")
    func version() async throws {
        let sandbox = try Sandbox()
        let output = try await sandbox.runRaw(["--version"])
        #expect(output.status == 0)
        #expect(!output.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }
}
