/// Key layouts and record encodings of the pipeline's databases (see `PipelineStore`).
enum PipelineKeys {
    /// A collection's 8-byte key: FNV-1a of its source path.
    static func collection(_ source: String) -> [UInt8] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in source.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return withUnsafeBytes(of: hash.bigEndian) { Array($0) }
    }

    /// The longest relative path kept whole in a document key. LMDB keys are at most 511
    /// bytes; a longer path keeps its first bytes (so keys still sort by path, near enough)
    /// and ends in 0x00 and a SHA-256 prefix of the whole path, so it stays unique.
    static let maxPathInKey = 400

    /// `documents`: collection · relative path (shortened as above when long).
    static func document(_ collection: [UInt8], _ relativePath: String) -> [UInt8] {
        let path = Array(relativePath.utf8)
        guard path.count > maxPathInKey else { return collection + path }
        return collection + path.prefix(maxPathInKey - 17) + [0] + SHA256.digest(path).prefix(16)
    }

    /// A chunk's id: collection (8) · the document's sequence number (u32) · the chunk's
    /// ordinal (u32), all big-endian.
    ///
    /// A document gets a new sequence number whenever its content or the chunking/embedder
    /// settings change, so the id names exactly one text, and a redo of the same chunk writes
    /// the same keys. Sequence numbers grow in walk order, so new chunks, their vectors and
    /// their postings are appended at the end of their B-trees instead of rewriting pages all
    /// over them at every group commit.
    static func chunkID(collection: [UInt8], document sequence: UInt32, ordinal: Int) -> [UInt8] {
        var id = chunkPrefix(collection: collection, document: sequence)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: ordinal).bigEndian) { id.append(contentsOf: $0) }
        return id
    }

    /// The first 12 bytes of every chunk id of one version of a document.
    static func chunkPrefix(collection: [UInt8], document sequence: UInt32) -> [UInt8] {
        var prefix = collection
        withUnsafeBytes(of: sequence.bigEndian) { prefix.append(contentsOf: $0) }
        return prefix
    }

    /// The ordinal in a chunk id, or `nil` when the id is not 16 bytes.
    static func chunkOrdinal(_ id: some Collection<UInt8>) -> Int? {
        guard id.count == 16 else { return nil }
        return Int(id.dropFirst(12).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// `index_stats` key of a collection's next document sequence number.
    static func documentSequenceKey(_ collection: [UInt8]) -> [UInt8] { Array("docseq:".utf8) + collection }

    static let chunkCount = Array("chunks".utf8)
    static let tokenCount = Array("tokens".utf8)
    /// Bytes of source text the documents of every collection hold.
    static let documentBytes = Array("document_bytes".utf8)
}

/// What the pipeline knows about one file of a collection.
struct DocumentRecord: Equatable {
    static let version: UInt8 = 1
    var contentHash: String
    var size: UInt64
    /// Chunks made from this content (0 until the chunk phase ran).
    var chunkCount: UInt32
    /// The last job whose load phase saw the file; files not seen by a completed load are deleted.
    var lastSeenBy: String
    /// The chunking and embedder settings its chunks and vectors were made with.
    var settingsFingerprint: String
    /// Numbers this version of the document's chunks (see `PipelineKeys.chunkID`).
    var sequence: UInt32

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        appendString(contentHash, to: &bytes)
        appendUInt64(size, to: &bytes)
        appendUInt64(UInt64(chunkCount), to: &bytes)
        appendString(lastSeenBy, to: &bytes)
        appendString(settingsFingerprint, to: &bytes)
        appendUInt64(UInt64(sequence), to: &bytes)
        return bytes
    }

    init(
        contentHash: String, size: UInt64, chunkCount: UInt32, lastSeenBy: String, settingsFingerprint: String,
        sequence: UInt32
    ) {
        self.contentHash = contentHash
        self.size = size
        self.chunkCount = chunkCount
        self.lastSeenBy = lastSeenBy
        self.settingsFingerprint = settingsFingerprint
        self.sequence = sequence
    }

    init?(decoding bytes: some Collection<UInt8>) {
        var reader = FieldReader(Array(bytes))
        guard reader.byte() == Self.version, let hash = reader.string(), let size = reader.uint64(),
            let count = reader.uint32(), let seen = reader.string(), let fingerprint = reader.string(),
            let sequence = reader.uint32(), reader.atEnd
        else { return nil }
        self.init(
            contentHash: hash, size: size, chunkCount: count, lastSeenBy: seen, settingsFingerprint: fingerprint,
            sequence: sequence
        )
    }
}

/// One chunk of a document, as searched and exported.
///
/// Layout 2 holds the chunk's place and text. Layout 1, written before schema version 3,
/// also held the chunk's token count and whether the index counted it: the index phase
/// rewrote the whole record, text and all, to set them. Those marks now live in
/// `IndexedChunks`; a layout 1 record is read as it is, and its mark still counts.
struct ChunkRecord: Equatable {
    static let version: UInt8 = 2
    var collection: [UInt8]
    var relativePath: String
    var ordinal: UInt32
    var text: String
    /// For a layout 1 record that the index counted: the token count it stored. `nil` for
    /// every record written since (see `IndexedChunks`).
    var legacyTokenCount: UInt32?

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.reserveCapacity(1 + 8 + 8 + relativePath.utf8.count + 8 + 8 + text.utf8.count)
        bytes.append(contentsOf: collection)
        appendString(relativePath, to: &bytes)
        appendUInt64(UInt64(ordinal), to: &bytes)
        appendString(text, to: &bytes)
        return bytes
    }

    init(collection: [UInt8], relativePath: String, ordinal: UInt32, text: String, legacyTokenCount: UInt32? = nil) {
        self.collection = collection
        self.relativePath = relativePath
        self.ordinal = ordinal
        self.text = text
        self.legacyTokenCount = legacyTokenCount
    }

    init?(decoding bytes: some Collection<UInt8>) {
        var reader = FieldReader(Array(bytes))
        let layout = reader.byte()
        guard layout == Self.version || layout == 1, let collection = reader.bytes(8), let path = reader.string(),
            let ordinal = reader.uint32()
        else { return nil }
        var legacyTokenCount: UInt32?
        if layout == 1 {
            guard let tokens = reader.uint32(), let indexed = reader.flag() else { return nil }
            legacyTokenCount = indexed ? tokens : nil
        }
        guard let text = reader.string(), reader.atEnd else { return nil }
        self.init(collection: collection, relativePath: path, ordinal: ordinal, text: text, legacyTokenCount: legacyTokenCount)
    }

    /// Whether `bytes` (a stored record, read in place) has layout 1, whose fields may hold
    /// an index mark; the writer decodes only those.
    static func hasLegacyLayout(_ bytes: UnsafeRawBufferPointer) -> Bool { bytes.first == 1 }
}

/// Appends a u64 as 8 big-endian bytes.
func appendUInt64(_ value: UInt64, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
}

/// Appends a string as its UTF-8 length (u64, big-endian) and its UTF-8 bytes.
func appendString(_ value: String, to bytes: inout [UInt8]) {
    appendUInt64(UInt64(value.utf8.count), to: &bytes)
    bytes.append(contentsOf: value.utf8)
}

/// Reads the fields above; every read returns `nil` instead of trapping on short or
/// out-of-range input, so a record decodes only from the bytes its `encoded()` writes.
struct FieldReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func uint64() -> UInt64? {
        bytes(8)?.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A u32 stored in a u64 field; a larger value is damage, not something to truncate.
    mutating func uint32() -> UInt32? {
        uint64().flatMap { UInt32(exactly: $0) }
    }

    /// A flag byte: 0 or 1.
    mutating func flag() -> Bool? {
        switch byte() {
        case 0: false
        case 1: true
        default: nil
        }
    }

    mutating func string() -> String? {
        guard let count = uint64(), count <= UInt64(bytes.count), let raw = bytes(Int(count)) else { return nil }
        return String(validating: raw, as: UTF8.self)
    }
}

/// 64-bit integers as 8 big-endian bytes, for the statistics.
enum BigEndian {
    static func bytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func value(_ bytes: some Collection<UInt8>) -> UInt64 { bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
}
