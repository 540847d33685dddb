/// Posting lists as bytes — sorted by chunk id, each chunk once — read and written without
/// an array per posting.
enum PostingList {
    static let chunkBytes = 16
    /// A `.fixed` posting's size.
    static let fixedStride = 20

    /// One `.prefixed` list from `lists` (oldest first, each in its own format): every chunk
    /// once, the newest list's posting where several list it, and only chunks `exists` keeps.
    /// A damaged list contributes the postings before its damage.
    static func merge(
        _ lists: [(bytes: [UInt8], format: PostingFormat)], into writer: inout Writer,
        exists: (ChunkID) throws -> Bool
    ) rethrows {
        writer.removeAll()
        try withReaders(lists) { readers in
            for index in readers.indices { _ = readers[index].next() }
            while true {
                // The smallest chunk; on a tie the newest list (the highest index) wins.
                var smallest = -1
                for index in readers.indices where readers[index].hasPosting {
                    if smallest < 0 || readers[index].chunk <= readers[smallest].chunk { smallest = index }
                }
                guard smallest >= 0 else { return }
                let chunk = readers[smallest].chunk
                if try exists(chunk) { writer.append(chunk, frequency: readers[smallest].frequency) }
                for index in readers.indices where readers[index].hasPosting && readers[index].chunk == chunk {
                    _ = readers[index].next()
                }
            }
        }
    }

    /// Readers over `lists`, valid inside `body`.
    private static func withReaders<Result>(
        _ lists: [(bytes: [UInt8], format: PostingFormat)], _ body: (inout [Reader]) throws -> Result
    ) rethrows -> Result {
        func open(_ index: Int, _ readers: inout [Reader]) throws -> Result {
            guard index < lists.count else { return try body(&readers) }
            return try lists[index].bytes.withUnsafeBytes { buffer in
                readers.append(Reader(buffer, format: lists[index].format))
                return try open(index + 1, &readers)
            }
        }
        var readers: [Reader] = []
        readers.reserveCapacity(lists.count)
        return try open(0, &readers)
    }
}
