import IngestTestSupport
import Testing
@testable import LMDBKit

/// Transactions check keys and values against `data.mdb`'s size as last seen, and look at
/// the file again only when one lies past it: growth since must never look like damage.
@Suite("Map bounds: the file size as last seen")
struct MapWindowTests {
    @Test("values that later commits appended past the size last seen read back, in process and from another thread")
    func growthSinceLastLook() throws {
        try withTemporaryDirectory { directory throws in
            let (environment, items) = try openWithDatabase(directory.path, options: .init(durability: .noSync))
            let pageSize = environment.statistics().pageSize
            try environment.write { try $0.put(items, bigEndian(0), [1]) }
            #expect(try environment.read { try $0.get(items, bigEndian(0)) } == [1])
            // Each commit appends a four-page value, so each read after it reaches past the
            // size the one before saw.
            let value = [UInt8](repeating: 7, count: 4 * pageSize)
            for number in 1...100 as ClosedRange<UInt64> {
                try environment.write { try $0.put(items, bigEndian(number), value) }
                #expect(try environment.read { try $0.get(items, bigEndian(number)) } == value, "value \(number)")
            }
            let newest = Locked<UInt64>(100)
            let mismatches = Locked<[UInt64]>([])
            let errors = runOnThreads(2) { thread in
                if thread == 0 {
                    for number in 101...400 as ClosedRange<UInt64> {
                        try environment.write { try $0.put(items, bigEndian(number), value) }
                        newest.withLock { $0 = number }
                    }
                } else {
                    while true {
                        let number = newest.value
                        if try environment.read({ try $0.get(items, bigEndian(number)) }) != value {
                            mismatches.withLock { $0.append(number) }
                        }
                        if number == 400 { break }
                    }
                }
            }
            #expect(errors.isEmpty, "\(errors)")
            #expect(mismatches.value.isEmpty, "\(mismatches.value)")
        }
    }
}
