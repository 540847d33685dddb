import Foundation
import IngestTestSupport
import Testing

/// Damage inside `data.mdb` — a cut at a page boundary, flipped bits in pages, a broken meta
/// page. LMDB keeps no checksums, so every command must either work or exit 65 naming the
/// store; none may crash or hang, a command that fails leaves the file as it was, and
/// whatever a command trips over, `ingest verify` reports with a key.
@Suite("damaged data.mdb: 65 or a result, never a crash", .serialized)
struct DamagedPagesTests {
    /// Page counts to cut the fixture's file to: between the newest meta page's highest
    /// root (below it the open refuses at once) and the end.
    private static func cuts(_ image: DataFileImage, count: Int) -> [Int] {
        let lowest = image.highestRoot + 1
        let span = image.pageCount - lowest
        return (0..<count).map { lowest + span * $0 / count }.filter { $0 < image.pageCount }
    }

    /// Runs every read command on a damaged `store` holding `bytes`: each must exit 0 or 65
    /// (saying "damaged") and leave the file as it was. Returns the commands that failed and
    /// verify's output.
    private static func readEverything(
        _ fixture: DamageFixture, store: String, name: String, bytes: Data, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (failed: [String], verify: ProcessOutput?) {
        var failed: [String] = []
        var verified: ProcessOutput?
        for command in fixture.readCommands(name) {
            let output = try await fixture.run(command, store: store, sourceLocation: sourceLocation)
            #expect([0, 65].contains(output.status), "\(name), \(command): \(output.status) \(output.stderr)", sourceLocation: sourceLocation)
            if output.status == 65 {
                failed.append("\(command)")
                #expect(output.stderr.contains("damaged") || command.arguments.first == "verify", "\(name), \(command): \(output.stderr)", sourceLocation: sourceLocation)
            }
            if command.arguments.first == "verify" { verified = output }
            #expect(fileBytes(store + "/data.mdb") == bytes, "\(name): \(command) changed data.mdb", sourceLocation: sourceLocation)
        }
        return (failed, verified)
    }

    @Test("cut at page boundaries: reads exit 0 or 65, never crash, change nothing; verify reports what the others trip over", .timeLimit(.minutes(TestTime.minutes(5))))
    func truncatedAtPageBoundaries() async throws {
        let fixture = try await DamageFixture()
        let image = try DataFileImage(contentsOf: fixture.dataPath)
        var sawDamage = false
        for pages in Self.cuts(image, count: 8) {
            let bytes = Data(image.bytes.prefix(pages * image.pageSize))
            let store = try fixture.store(named: "cut-\(pages)", bytes: bytes)
            let (failed, verified) = try await Self.readEverything(fixture, store: store, name: "cut-\(pages)", bytes: bytes)
            if !failed.isEmpty {
                sawDamage = true
                #expect(verified?.status == 65, "\(failed) failed on \(pages) pages but verify passed")
            }
        }
        #expect(sawDamage, "no cut damaged anything the commands read; the test proves nothing")
    }

    @Test("negative control: without the guard and the bounds checks, the same cuts crash ingest", .timeLimit(.minutes(TestTime.minutes(5))))
    func truncationCrashesUnguarded() async throws {
        let fixture = try await DamageFixture()
        let image = try DataFileImage(contentsOf: fixture.dataPath)
        var crashes: [String] = []
        for pages in Self.cuts(image, count: 8) {
            let store = try fixture.store(named: "raw-\(pages)", bytes: Data(image.bytes.prefix(pages * image.pageSize)))
            for arguments in [["status", "done-a"], ["search", "otters"], ["export"], ["history", "done-b"]] {
                let output = try await fixture.runUnchecked(arguments + ["--store", store], environment: ["INGEST_FAULT": "unguarded"])
                if endedBySignal(output) { crashes.append("\(arguments) on \(pages) pages: \(output.status)") }
            }
        }
        #expect(!crashes.isEmpty, "no cut crashed an unguarded ingest: the damage does not reach the code the guard protects")
    }

    /// Flips `count` bits of live-looking pages: page headers, node offsets, node headers, values.
    private static func flipBits(_ image: inout DataFileImage, count: Int, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let pages = image.treePages()
        for _ in 0..<count {
            guard let page = pages.randomElement(using: &generator) else { return }
            let nodes = image.nodes(of: page)
            let base = page * image.pageSize
            let offset: Int
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: offset = base + Int.random(in: 0..<16, using: &generator)
            case 1: offset = base + 16 + Int.random(in: 0..<max(1, nodes.count * 2), using: &generator)
            case 2: offset = (nodes.randomElement(using: &generator)?.offset ?? base) + Int.random(in: 0..<8, using: &generator)
            default:
                let node = nodes.randomElement(using: &generator)
                let range = node?.value ?? node?.key ?? (base..<(base + 16))
                offset = range.isEmpty ? base : Int.random(in: range, using: &generator)
            }
            image.bytes[offset] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        }
    }

    @Test("seeded bit flips in pages: every command exits as documented, failures change nothing, verify reports what others trip over", .timeLimit(.minutes(TestTime.minutes(8))))
    func seededFlips() async throws {
        let fixture = try await DamageFixture()
        let original = try DataFileImage(contentsOf: fixture.dataPath)
        var sawDamage = false
        var writesChecked = 0
        for seed in UInt64(1)...8 {
            var image = original
            Self.flipBits(&image, count: 2, seed: seed)
            let bytes = Data(image.bytes)
            let store = try fixture.store(named: "flip-\(seed)", bytes: bytes)
            let (failed, verified) = try await Self.readEverything(fixture, store: store, name: "flip-\(seed)", bytes: bytes)
            guard !failed.isEmpty else { continue }
            sawDamage = true
            let report = verified?.stdout ?? ""
            #expect(verified?.status == 65, "seed \(seed): \(failed) failed but verify passed")
            // Each line names a database and a key (or page) before the colon.
            #expect(report.split(separator: "\n").allSatisfy { $0.contains(": ") && $0.split(separator: " ").count >= 3 }, "seed \(seed): \(report)")
            // Writes on a store found damaged (the first few): documented codes, and a command
            // of one transaction that refuses changes nothing. (`run` commits group after group
            // and stops at the first damage it meets: what it committed before stays.)
            guard writesChecked < 3 else { continue }
            writesChecked += 1
            for command in fixture.writeCommands() {
                let before = fileBytes(store + "/data.mdb")
                let output = try await fixture.run(command, store: store)
                if output.status == 65 && command.arguments.first != "run" {
                    #expect(fileBytes(store + "/data.mdb") == before, "seed \(seed): a refused \(command) wrote")
                }
            }
        }
        #expect(sawDamage, "no seed damaged anything the commands read; the test proves nothing")
    }
}
