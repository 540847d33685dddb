import Foundation
import IngestTestSupport
import Testing

/// Targeted damage with a known effect: a job record, a chunk, a value size reaching past
/// the file, and each kind of meta-page damage.
@Suite("damaged records and meta pages: the user learns which, by key", .serialized)
struct DamagedRecordsTests {
    /// A chunk's leaf node: a 16-byte key whose record (layout 2, the one this build writes)
    /// repeats the key's 8-byte collection.
    private static func chunkNodes(_ image: DataFileImage) -> [DataFileImage.Node] {
        image.leafNodes { key, value in
            key.count == 16 && value.count > 20 && value.first == 2 && value.dropFirst().prefix(8).elementsEqual(key.prefix(8))
        }
    }

    @Test("a job record that does not decode: that job's commands exit 65 naming it, other jobs still work, verify lists it", .timeLimit(.minutes(TestTime.minutes(2))))
    func damagedJobRecord() async throws {
        let fixture = try await DamageFixture()
        var image = try DataFileImage(contentsOf: fixture.dataPath)
        // The job record starts with its version byte; every copy of the node gets a bad one.
        let nodes = image.leafNodes(withKey: Array("done-b".utf8)).filter { node in (node.value?.count ?? 0) > 30 }
        try #require(!nodes.isEmpty, "done-b's job record not found")
        for node in nodes { if let value = node.value { image.bytes[value.lowerBound] = 0x7F } }
        let bytes = Data(image.bytes)
        let store = try fixture.store(named: "bad-job", bytes: bytes)

        for arguments in [["status", "done-b"], ["history", "done-b"], ["pause", "done-b"], ["resume", "done-b"], ["retry", "done-b"], ["list"]] {
            let output = try await fixture.sandbox.runRaw(arguments + ["--store", store])
            #expect(output.status == 65, "\(arguments): \(output.status) \(output.stderr)")
            #expect(output.stderr.contains("done-b") && output.stderr.contains("jobs"), "\(arguments): \(output.stderr)")
        }
        #expect(try await fixture.sandbox.runRaw(["status", "done-a", "--store", store]).status == 0)
        let verify = try await fixture.sandbox.runRaw(["verify", "--store", store])
        #expect(verify.status == 65)
        #expect(verify.stdout.split(separator: "\n").contains { $0.hasPrefix("jobs done-b: record does not decode") }, "\(verify.stdout)")
        #expect(fileBytes(store + "/data.mdb") == bytes)
    }

    @Test("a chunk whose text is not UTF-8: export exits 65 naming the chunk, verify lists it", .timeLimit(.minutes(TestTime.minutes(2))))
    func damagedChunk() async throws {
        let fixture = try await DamageFixture()
        var image = try DataFileImage(contentsOf: fixture.dataPath)
        let target = try #require(Self.chunkNodes(image).first, "no chunk record found")
        let key = Array(image.bytes[target.key])
        for node in Self.chunkNodes(image) where image.bytes[node.key].elementsEqual(key) {
            if let value = node.value { image.bytes[value.upperBound - 1] = 0xFF }
        }
        let bytes = Data(image.bytes)
        let store = try fixture.store(named: "bad-chunk", bytes: bytes)

        let export = try await fixture.sandbox.runRaw(["export", "--store", store])
        #expect(export.status == 65, "\(export.status) \(export.stderr)")
        #expect(export.stderr.contains("in chunks cannot be read"), "\(export.stderr)")
        let verify = try await fixture.sandbox.runRaw(["verify", "--store", store])
        #expect(verify.status == 65)
        #expect(verify.stdout.contains("chunks ") && verify.stdout.contains("record does not decode"), "\(verify.stdout)")
        #expect(fileBytes(store + "/data.mdb") == bytes)
    }

    @Test("a value size reaching gigabytes past the file: 65 from the bounds check; without it, a crash (negative control)", .timeLimit(.minutes(TestTime.minutes(2))))
    func valuePastTheFile() async throws {
        let fixture = try await DamageFixture()
        var image = try DataFileImage(contentsOf: fixture.dataPath)
        let nodes = Self.chunkNodes(image)
        try #require(!nodes.isEmpty, "no chunk record found")
        // The size's high half: every chunk value now claims about 4 GB.
        for node in nodes {
            image.bytes[node.offset + 2] = 0xFF
            image.bytes[node.offset + 3] = 0xFF
        }
        let bytes = Data(image.bytes)
        let store = try fixture.store(named: "huge-value", bytes: bytes)

        let export = try await fixture.sandbox.runRaw(["export", "--store", store])
        #expect(export.status == 65 && export.stderr.contains("damaged"), "\(export.status) \(export.stderr)")
        let verify = try await fixture.sandbox.runRaw(["verify", "--store", store])
        #expect(verify.status == 65 && verify.stdout.contains("runs past the page"), "\(verify.stdout)")
        #expect(fileBytes(store + "/data.mdb") == bytes)

        let unguarded = try await fixture.runUnchecked(["export", "--store", store], environment: ["INGEST_FAULT": "unguarded"])
        #expect(endedBySignal(unguarded), "an unguarded export of a 4 GB value did not crash: \(unguarded.status) \(unguarded.stderr.prefix(300))")
    }

    /// A meta-page change and what the message must name.
    struct MetaDamage: Sendable, CustomTestStringConvertible {
        let name: String
        let message: String
        let apply: @Sendable (inout DataFileImage) -> Void
        var testDescription: String { name }
    }

    static let metaDamage: [MetaDamage] = [
        MetaDamage(name: "bad magic in meta page 1 only", message: "meta page 1") { image in
            image.bytes[image.metaOffset(1, .magic) + 1] ^= 0x40
        },
        MetaDamage(name: "the older meta page's transaction id jumped ahead", message: "meta page") { image in
            let offset = image.metaOffset(1 - image.newestMeta, .transaction)
            image.setU64(image.u64(offset) | 1 << 50, at: offset)
        },
        MetaDamage(name: "the newest meta page's main root past its last page", message: "root page") { image in
            let newest = image.newestMeta
            image.setU64(image.u64(image.metaOffset(newest, .lastPage)) + 3, at: image.metaOffset(newest, .mainRoot))
        },
    ]

    @Test("damaged meta page: every command exits 65 naming it and changes nothing", arguments: metaDamage)
    func damagedMetaPage(_ damage: MetaDamage) async throws {
        let fixture = try await DamageFixture()
        var image = try DataFileImage(contentsOf: fixture.dataPath)
        damage.apply(&image)
        let bytes = Data(image.bytes)
        let store = try fixture.store(named: "meta", bytes: bytes)
        for command in fixture.allCommands("meta") {
            let output = try await fixture.run(command, store: store)
            #expect(output.status == 65, "\(command): \(output.status) \(output.stderr)")
            #expect(output.stderr.contains(damage.message) && output.stderr.contains(store), "\(command): \(output.stderr)")
        }
        #expect(fileBytes(store + "/data.mdb") == bytes, "a command changed a store with a damaged meta page")
        #expect(!fileExists(fixture.sandbox.path("backup-meta")), "backup left a directory behind")
    }
}
