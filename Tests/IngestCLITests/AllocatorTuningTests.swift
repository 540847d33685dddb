import Foundation
import IngestTestSupport
import Testing

/// `ingest` sets glibc's allocator up for long runs (a fixed 128 KiB mmap threshold, two
/// arenas) unless the user tuned malloc through `GLIBC_TUNABLES`. What that buys in memory
/// is measured in BENCHMARKS.md; here, that the choice is made and said, both ways.
@Suite("allocator settings")
struct AllocatorTuningTests {
    private func debugLog(_ environment: [String: String?]) async throws -> String {
        let world = RunWorld("allocator")
        let source = try world.makeDirectory("source")
        try "a line to ingest\n".write(toFile: source + "/a.txt", atomically: true, encoding: .utf8)
        try await world.submit(source, id: "a")
        let output = try await RunBlocking.run {
            try ChildProcess.run(
                RunWorld.executable, ["list", "--store", world.store, "--log-level", "debug"],
                environment: world.environment.merging(environment) { $1 }
            )
        }
        #expect(output.status == 0, "\(output.stderr)")
        return output.stderr
    }

    /// Under AddressSanitizer (`tools/sanitize address` builds these tests and `ingest`
    /// alike) malloc is ASan's, which refuses `mallopt`: `ingest` then says it kept the defaults.
    static var underAddressSanitizer: Bool { dlsym(nil, "__asan_init") != nil }

    @Test("by default: a fixed mmap threshold and two arenas (ASan's allocator: the defaults, said so)")
    func appliedByDefault() async throws {
        let log = try await debugLog(["GLIBC_TUNABLES": nil])
        if Self.underAddressSanitizer {
            #expect(log.contains("allocator: defaults (not glibc, or mallopt refused)"), "\(log)")
        } else {
            #expect(log.contains("allocator: mmap threshold 128 KiB, 2 arenas"), "\(log)")
        }
    }

    @Test("GLIBC_TUNABLES with malloc settings: left as the user set it")
    func userTunablesWin() async throws {
        let log = try await debugLog(["GLIBC_TUNABLES": "glibc.malloc.arena_max=4"])
        #expect(log.contains("allocator: left as GLIBC_TUNABLES sets it"), "\(log)")
        #expect(!log.contains("mmap threshold 128 KiB"), "\(log)")
    }
}
