#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Looks at `data.mdb`'s first meta page before LMDB does, so that a foreign or garbage
/// file is refused without LMDB creating a `lock.mdb` beside it.
enum DataFileCheck {
    /// LMDB's `MDB_MAGIC`, stored little-endian at the start of each meta page's data.
    static let magic: UInt32 = 0xBEEF_C0DE
    /// On 64-bit builds the page header before the meta data is 16 bytes.
    static let metaOffset = MemoryLayout<Int>.size == 8 ? 16 : 12

    /// `nil` when there is no file, an empty one (LMDB initialises it), or the magic is
    /// right; `LMDBError.invalid` when the file holds something else.
    static func headerProblem(in directory: String) -> LMDBError? {
        let descriptor = Glibc.open(directory + "/data.mdb", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: metaOffset + 4)
        let count = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        if count == 0 { return nil }
        guard count == header.count else { return .invalid }
        let found = header[metaOffset..<(metaOffset + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return found == magic ? nil : .invalid
    }

    /// What is wrong with the meta pages, or `nil` when both are sound (or the file is new).
    /// LMDB itself would only notice a bad magic or version (see `MetaPage`).
    ///
    /// A writer (in this process or another) rewrites a meta page at every commit, and the
    /// two pages are read one after the other, so a live store can show transaction ids that
    /// are not consecutive, or a page caught mid-write, for a moment — seen when
    /// `RegistryTests` raced opens against commits in a ThreadSanitizer build. Damage stays
    /// put: a problem counts only when two reads in a row find the same one. Reads that
    /// keep changing mean commits are landing; the store is then left to LMDB.
    static func metaProblem(in directory: String) -> String? {
        var previous: String?
        for _ in 0..<5 {
            guard let problem = metaProblemNow(in: directory) else { return nil }
            if problem == previous { return problem }
            previous = problem
        }
        return nil
    }

    /// One reading of the meta pages for `metaProblem`.
    private static func metaProblemNow(in directory: String) -> String? {
        guard MemoryLayout<Int>.size == 8, let (pages, fileSize) = MetaPage.read(from: directory), fileSize > 0 else { return nil }
        guard let first = pages[0] else { return "data.mdb is \(fileSize) bytes, too short for its meta pages" }
        guard let second = pages[1] else {
            let problems = first.problems()
            if !problems.isEmpty { return "meta page 0: " + problems.joined(separator: "; ") }
            return "data.mdb is \(fileSize) bytes, too short for its meta pages"
        }
        let found = [first, second].compactMap { page -> String? in
            let problems = page.problems()
            return problems.isEmpty ? nil : "meta page \(page.index): " + problems.joined(separator: "; ")
        }
        if !found.isEmpty { return found.joined(separator: "; ") }
        if first.pageSize != second.pageSize {
            return "the meta pages disagree on the page size (\(first.pageSize) and \(second.pageSize))"
        }
        // Each commit writes meta page (id & 1) with id one past the other's; a fresh file
        // has 0 on both, a compacted copy 0 and 1.
        let (zero, one) = (first.transaction, second.transaction)
        guard (zero == 0 && one == 0) || zero &+ 1 == one || one &+ 1 == zero else {
            return "the meta pages' transaction ids \(zero) and \(one) are not consecutive"
        }
        return nil
    }

    /// The file size the newest meta page's root pages need, and the size the file has, when
    /// the file is too short for them; `nil` when it is long enough.
    ///
    /// The roots are written in the same commit as the meta page that names them, and new
    /// pages go to the end of the file, so a truncated file almost always loses them.
    static func truncation(in directory: String, pageSize: Int) -> (needed: Int, actual: Int)? {
        guard pageSize > 0, MemoryLayout<Int>.size == 8, let (pages, actual) = MetaPage.read(from: directory) else { return nil }
        guard let newest = pages.compactMap({ $0 }).max(by: { $0.transaction < $1.transaction }) else { return nil }
        let roots = [newest.freeRoot, newest.mainRoot].filter { $0 != MetaPage.invalidPage }
        let highest = roots.max() ?? 1
        let needed = (Int(clamping: highest) + 1) * pageSize
        return actual < needed ? (needed, actual) : nil
    }
}
