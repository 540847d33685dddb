import Foundation
import IngestTestSupport
import Synchronization
import Testing
@testable import LMDBKit

/// The truncation check reads a live store: commits that grow `data.mdb` while it looks
/// must never make a sound file look cut short.
@Suite("Truncation check on a growing store")
struct LiveTruncationCheckTests {
    @Test("a file growing commit by commit is never reported as truncated")
    func growingFileIsNotTruncated() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path, options: .init(durability: .noSync))
            let pageSize = environment.statistics().pageSize
            let commits = 3000
            let writing = Atomic<Bool>(true)
            let reports = Locked<[String]>([])
            // Each commit appends a two-page value, so nearly every one extends the file.
            let errors = runOnThreads(2) { thread in
                if thread == 0 {
                    defer { writing.store(false, ordering: .releasing) }
                    let value = [UInt8](repeating: 7, count: 2 * pageSize)
                    for number in 0..<UInt64(commits) {
                        try environment.write { try $0.put(items, bigEndian(number), value) }
                    }
                } else {
                    while writing.load(ordering: .acquiring) {
                        if let (needed, actual) = DataFileCheck.truncation(in: directory.path, pageSize: pageSize) {
                            reports.withLock { $0.append("needs \(needed), has \(actual)") }
                        }
                    }
                }
            }
            #expect(errors.isEmpty, "\(errors)")
            let seen = reports.value
            #expect(seen.isEmpty, "reported truncated \(seen.count) times, first: \(seen.first ?? "")")
        }
    }
}
