import IngestTestSupport
import Testing

@testable import LMDBKit

/// A write through a read-only environment is an error to handle, not a trap.
struct ReadOnlyWriteTests {
    @Test func writingToAReadOnlyEnvironmentThrowsAndChangesNothing() throws {
        try withTemporaryDirectory { directory throws in
            do {
                let (environment, items) = try openWithDatabase(directory.path)
                try environment.write { txn throws in try txn.put(items, bytes("k"), bytes("v")) }
            }
            let readOnly = try Environment.open(path: directory.path, options: .init(readOnly: true))
            let items = try #require(try readOnly.openDatabase(named: "items", create: false))
            #expect(throws: LMDBError.permissionDenied) {
                try readOnly.write { txn throws in try txn.put(items, bytes("k"), bytes("other")) }
            }
            #expect(try readOnly.read { try $0.get(items, bytes("k")) } == bytes("v"))
        }
    }
}
