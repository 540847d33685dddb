import Foundation
import IngestTestSupport
import Testing

/// The shell completion scripts and the man page in docs/ are what swift-argument-parser
/// generates from the current command line (`tools/completions` rewrites them), and every
/// command's help says how it exits.
@Suite("completion scripts and man page")
struct CompletionManTests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func committed(_ path: String) throws -> String {
        let url = root.appendingPathComponent(path)
        return try #require(try? String(contentsOf: url, encoding: .utf8), "\(path) is missing; run tools/completions")
    }

    @Test("the committed completion scripts equal what ingest generates now", arguments: [
        ("bash", "docs/completions/ingest.bash"), ("zsh", "docs/completions/_ingest"), ("fish", "docs/completions/ingest.fish"),
    ])
    func completionScript(shell: String, path: String) async throws {
        let sandbox = try Sandbox()
        let generated = try await sandbox.runRaw(["--generate-completion-script", shell])
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(!generated.stdout.isEmpty)
        let same = try Self.committed(path) == generated.stdout
        #expect(same, "\(path) is stale: run tools/completions and commit docs/")
    }

    /// The command tree as argument-parser describes it (what its man page generator reads).
    static func commands() async throws -> [[String: Any]] {
        let sandbox = try Sandbox()
        let dump = try await sandbox.runRaw(["--experimental-dump-help"])
        try #require(dump.status == 0, "\(dump.stderr)")
        let root = try #require(try jsonObject(dump.stdout)["command"] as? [String: Any])
        let subcommands = try #require(root["subcommands"] as? [[String: Any]])
        return [root] + subcommands.filter { $0["commandName"] as? String != "help" }
    }

    /// `text` as a run of words, so roff escapes and line breaks do not matter.
    static func words(_ text: String) -> String {
        " " + text.matches(of: /[A-Za-z0-9]+/).map { String($0.output) }.joined(separator: " ") + " "
    }

    @Test("the committed man page has every command, option and help text of the current ingest, and the exit codes")
    func manPage() async throws {
        let page = try Self.committed("docs/man/ingest.1")
        let pageWords = Self.words(page)
        let titled = page.contains(".Dt INGEST 1")
        #expect(titled, "docs/man/ingest.1 is not the ingest(1) page")
        for command in try await Self.commands() {
            let name = command["commandName"] as? String ?? "?"
            // Each check is a Bool first, so a failure names what is missing instead of printing the page.
            let listed = name == "ingest" || page.contains(".It Em \(name)\n")
            #expect(listed, "the man page lacks the command \(name): run tools/completions")
            // Hidden options (test-only switches) are in neither the help nor the page.
            let arguments = (command["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool != false }
            let texts = [command["abstract"], command["discussion"]].compactMap { $0 as? String }
                + arguments.compactMap { $0["abstract"] as? String }
            for text in texts {
                for paragraph in text.split(separator: "\n") where !Self.words(String(paragraph)).trimmingCharacters(in: .whitespaces).isEmpty {
                    let present = pageWords.contains(Self.words(String(paragraph)))
                    #expect(present, "the man page lacks \(name)'s \(paragraph.prefix(60).debugDescription): run tools/completions")
                }
            }
            for argument in arguments {
                for long in (argument["names"] as? [[String: Any]] ?? []).filter({ $0["kind"] as? String == "long" }) {
                    let option = long["name"] as? String ?? "?"
                    let present = page.contains("Fl -\(option)")
                    #expect(present, "the man page lacks \(name) --\(option): run tools/completions")
                }
            }
        }
        for code in ["0", "1", "64", "65", "66", "70", "73", "74", "75"] {
            let present = page.contains("\n  \(code) ")
            #expect(present, "the man page lacks exit code \(code)")
        }
    }

    /// Every command's name and its `--help` text (`ingest` itself first).
    static func helpTexts() async throws -> [(name: String, text: String)] {
        let sandbox = try Sandbox()
        var texts: [(name: String, text: String)] = []
        for command in try await commands() {
            let name = command["commandName"] as? String ?? "?"
            let help = try await sandbox.runRaw(name == "ingest" ? ["--help"] : [name, "--help"])
            #expect(help.status == 0, "`ingest \(name) --help` exited \(help.status)")
            texts.append((name, help.stdout))
        }
        return texts
    }

    @Test("every command's help shows its defaults as values a user can type, not Swift types")
    func helpDefaultsAreValues() async throws {
        for (name, help) in try await Self.helpTexts() {
            // A custom argument type without `defaultValueDescription` shows as, for example,
            // "default: SearchModeArgument(mode: IngestPipeline.SearchMode.hybrid)".
            let defaults = help.components(separatedBy: "default: ").dropFirst().map { $0.prefix { $0 != ")" } }
            for shown in defaults {
                let leaked = shown.contains("(") || shown.contains("Ingest") || shown.contains("Argument")
                #expect(!leaked, "`ingest \(name) --help` shows a default as \(shown)")
            }
        }
    }

    @Test("every command's help says how it exits, or points to ingest --help")
    func helpMentionsExitCodes() async throws {
        for (name, help) in try await Self.helpTexts() {
            #expect(help.lowercased().contains("exit"), "`ingest \(name) --help` says nothing about exit codes")
        }
    }
}
