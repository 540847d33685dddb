#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A text file as loaded: its text and the hash of its bytes.
public struct TextFile: Sendable, Hashable {
    /// The content as text: a leading UTF-8 byte order mark removed, line endings as in
    /// the file (CRLF stays CRLF).
    public let text: String
    /// The file's size in bytes as read, byte order mark included.
    public let byteCount: Int
    /// The lowercase hex SHA-256 of the file's bytes as read, byte order mark included.
    public let contentHash: String

    /// Makes a text file value.
    /// - Parameters:
    ///   - text: The text.
    ///   - byteCount: The size in bytes.
    ///   - contentHash: The hex SHA-256 of the bytes.
    public init(text: String, byteCount: Int, contentHash: String) {
        self.text = text
        self.byteCount = byteCount
        self.contentHash = contentHash
    }
}

/// Why a file could not be loaded as text, with what a person needs to act on it.
public struct FileProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of trouble, for choosing a reaction.
    public enum Category: Sendable, Hashable {
        /// The file no longer exists (ENOENT at read time): treat it as deleted.
        case vanished
        /// The file exists but could not be opened or read (EACCES, EIO, …).
        case unreadable
        /// The file is larger than the configured limit.
        case tooLarge
        /// The file looks binary (a NUL byte or many control characters near its start).
        case binary
        /// The file is not valid UTF-8.
        case notUTF8
        /// The path names a directory.
        case isDirectory
        /// The path names something other than a regular file (FIFO, socket, device).
        case notRegular
    }

    private enum Kind: Sendable, Hashable {
        case vanished
        case unreadable(code: Int32, during: String)
        case tooLarge(size: Int64, limit: Int, sizeIsLowerBound: Bool)
        case nulByte(offset: Int)
        case controlCharacters(count: Int, sampled: Int)
        case notUTF8(offset: Int)
        case isDirectory
        case notRegular(what: String)
    }

    /// The file's path.
    public let path: String
    private let kind: Kind

    private init(_ path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    /// The file vanished before it could be read.
    /// - Parameter path: The file.
    /// - Returns: The problem.
    public static func vanished(_ path: String) -> Self { .init(path, .vanished) }

    /// The file could not be opened or read.
    /// - Parameters:
    ///   - path: The file.
    ///   - errno: The `errno` of the failed call.
    ///   - operation: What was being done, e.g. "open" or "read".
    /// - Returns: The problem.
    public static func unreadable(_ path: String, errno: Int32, operation: String) -> Self {
        .init(path, .unreadable(code: errno, during: operation))
    }

    /// The file is larger than the limit.
    /// - Parameters:
    ///   - path: The file.
    ///   - size: Its size (or, with `sizeIsLowerBound`, how much was read before giving up).
    ///   - limit: The limit in bytes.
    ///   - sizeIsLowerBound: Whether the file grew while read, so its size is at least `size`.
    /// - Returns: The problem.
    public static func tooLarge(_ path: String, size: Int64, limit: Int, sizeIsLowerBound: Bool = false) -> Self {
        .init(path, .tooLarge(size: size, limit: limit, sizeIsLowerBound: sizeIsLowerBound))
    }

    /// The file has a NUL byte near its start.
    /// - Parameters:
    ///   - path: The file.
    ///   - offset: The byte offset of the first NUL.
    /// - Returns: The problem.
    public static func binary(_ path: String, nulAt offset: Int) -> Self { .init(path, .nulByte(offset: offset)) }

    /// The file has too many control characters near its start.
    /// - Parameters:
    ///   - path: The file.
    ///   - count: How many control characters were found.
    ///   - sampled: How many bytes were looked at.
    /// - Returns: The problem.
    public static func binary(_ path: String, controlCharacters count: Int, sampled: Int) -> Self {
        .init(path, .controlCharacters(count: count, sampled: sampled))
    }

    /// The file is not valid UTF-8.
    /// - Parameters:
    ///   - path: The file.
    ///   - offset: The byte offset where the first bad sequence starts.
    /// - Returns: The problem.
    public static func notUTF8(_ path: String, at offset: Int) -> Self { .init(path, .notUTF8(offset: offset)) }

    /// The path names a directory.
    /// - Parameter path: The path.
    /// - Returns: The problem.
    public static func isDirectory(_ path: String) -> Self { .init(path, .isDirectory) }

    /// The path names something other than a regular file.
    /// - Parameters:
    ///   - path: The path.
    ///   - what: What it is instead, e.g. "FIFO (named pipe)".
    /// - Returns: The problem.
    public static func notRegular(_ path: String, what: String) -> Self { .init(path, .notRegular(what: what)) }

    /// The kind of trouble, for choosing a reaction.
    public var category: Category {
        switch kind {
        case .vanished: .vanished
        case .unreadable: .unreadable
        case .tooLarge: .tooLarge
        case .nulByte, .controlCharacters: .binary
        case .notUTF8: .notUTF8
        case .isDirectory: .isDirectory
        case .notRegular: .notRegular
        }
    }

    /// The byte offset the problem was found at (first NUL, first bad UTF-8 sequence), if any.
    public var byteOffset: Int? {
        switch kind {
        case .nulByte(let offset), .notUTF8(let offset): offset
        default: nil
        }
    }

    /// The reason alone, without the path.
    public var reason: String {
        switch kind {
        case .vanished:
            return "the file vanished before it could be read (ENOENT); it was deleted or renamed"
        case .unreadable(let code, let operation):
            return "cannot \(operation) the file: \(PosixFile.describe(code))"
        case .tooLarge(let size, let limit, let lowerBound):
            let sizeText = lowerBound ? "at least \(size) bytes (it grew while being read)" : "\(size) bytes"
            return "the file is \(sizeText), over the limit of \(limit) bytes; raise the limit to load it"
        case .nulByte(let offset):
            return "the file looks binary: a NUL byte at offset \(offset)"
        case .controlCharacters(let count, let sampled):
            return "the file looks binary: \(count) of its first \(sampled) bytes are control characters"
        case .notUTF8(let offset):
            return "the file is not valid UTF-8: the first bad byte sequence starts at byte offset \(offset)"
        case .isDirectory:
            return "the path is a directory, not a file"
        case .notRegular(let what):
            return "the path is a \(what), not a regular file"
        }
    }

    public var description: String { "\(path): \(reason)" }
}

/// Reads a file as UTF-8 text, hashing its bytes, or says why it cannot.
public enum TextFileReader {
    /// The size of each `read`.
    public static let blockSize = 64 * 1024
    /// How many leading bytes are checked for signs of a binary file.
    public static let sniffLength = 8 * 1024
    /// Above this share of control characters in the sniffed bytes a file counts as binary.
    public static let maxControlCharacterRatio = 0.10

    /// Reads a whole text file, streaming it in 64 KiB blocks and hashing as it goes.
    ///
    /// The file's bytes are the only thing kept (plus one block buffer). Checks, in order:
    /// it exists, is a regular file, is not over `maxBytes` (by `fstat`, and again while
    /// reading, in case it grows), does not look binary (a NUL byte, or more than 10%
    /// control characters other than tab, line feed, carriage return, form feed, vertical
    /// tab and escape, in its first 8 KiB), and is valid UTF-8 (no overlong forms,
    /// surrogates or truncated sequences). Wraps `open` (with `O_NONBLOCK`, so a FIFO
    /// cannot block it), `fstat`, `fcntl` (to clear `O_NONBLOCK` again) and `read` (retried on `EINTR`).
    /// - Parameters:
    ///   - path: The file; symbolic links are followed.
    ///   - maxBytes: The largest file accepted, in bytes.
    /// - Returns: The text with a leading byte order mark removed, the byte count and the
    ///   hex SHA-256 of the bytes as read; or the `FileProblem`.
    public static func read(path: String, maxBytes: Int) -> Result<TextFile, FileProblem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return .failure(openProblem(path, code: errno)) }
        defer { close(descriptor) }

        let status: PosixFile.Status
        switch PosixFile.status(descriptor: descriptor) {
        case .success(let found): status = found
        case .failure(let failure): return .failure(.unreadable(path, errno: failure.code, operation: "stat"))
        }
        switch status.kind {
        case .regular: break
        case .directory: return .failure(.isDirectory(path))
        default: return .failure(.notRegular(path, what: status.kind.description))
        }
        guard status.size <= Int64(maxBytes) else {
            return .failure(.tooLarge(path, size: status.size, limit: maxBytes))
        }
        // O_NONBLOCK only guarded the open against FIFOs; reads of a regular file block.
        if case .failure(let failure) = PosixFile.clearNonBlocking(descriptor) {
            return .failure(.unreadable(path, errno: failure.code, operation: "configure"))
        }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(max(0, status.size)))
        var hasher = SHA256()
        var validator = UTF8Validator()
        var sniffed = false
        var block = [UInt8](repeating: 0, count: blockSize)

        while true {
            let count = block.withUnsafeMutableBytes { PosixFile.readBlock(descriptor, into: $0) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                return .failure(.unreadable(path, errno: code, operation: "read"))
            }
            if count == 0 { break }
            guard bytes.count + count <= maxBytes else {
                return .failure(.tooLarge(path, size: Int64(bytes.count + count), limit: maxBytes, sizeIsLowerBound: true))
            }
            block.withUnsafeBytes { buffer in
                let filled = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                hasher.update(filled)
                bytes.append(contentsOf: filled)
            }
            if !sniffed && bytes.count >= sniffLength {
                sniffed = true
                if let problem = sniff(bytes, path: path) { return .failure(problem) }
            }
            if sniffed, let offset = validator.validate(bytes) {
                return .failure(.notUTF8(path, at: offset))
            }
        }
        if !sniffed, let problem = sniff(bytes, path: path) { return .failure(problem) }
        if let offset = validator.validate(bytes) {
            return .failure(.notUTF8(path, at: offset))
        }
        if let offset = validator.finish(bytes) {
            return .failure(.notUTF8(path, at: offset))
        }

        let hash = SHA256.hex(hasher.finalize())
        let byteCount = bytes.count
        let bodyStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let text = String(decoding: bytes[bodyStart...], as: UTF8.self)
        return .success(TextFile(text: text, byteCount: byteCount, contentHash: hash))
    }

    /// Turns a failed `open` into a problem, looking at what the path names where that helps.
    private static func openProblem(_ path: String, code: Int32) -> FileProblem {
        if code == ENOENT || code == ENOTDIR { return .vanished(path) }
        if case .success(let status) = PosixFile.status(path, followLinks: true) {
            switch status.kind {
            case .regular: break
            case .directory: return .isDirectory(path)
            default: return .notRegular(path, what: status.kind.description)
            }
        }
        return .unreadable(path, errno: code, operation: "open")
    }

    /// Looks for signs of a binary file in the first `sniffLength` bytes.
    private static func sniff(_ bytes: [UInt8], path: String) -> FileProblem? {
        let sample = bytes.prefix(sniffLength)
        if let nul = sample.firstIndex(of: 0) { return .binary(path, nulAt: nul) }
        var controls = 0
        for byte in sample where byte < 0x20 || byte == 0x7F {
            switch byte {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B: continue
            default: controls += 1
            }
        }
        if controls > 0, Double(controls) > Double(sample.count) * maxControlCharacterRatio {
            return .binary(path, controlCharacters: controls, sampled: sample.count)
        }
        return nil
    }
}

extension TextFileReader {
    /// A strict UTF-8 validator that can be fed a growing buffer.
    ///
    /// Rejects what Unicode forbids: stray continuation bytes, overlong forms, surrogates,
    /// code points past U+10FFFF, and a truncated sequence at the end.
    struct UTF8Validator {
        /// Everything before this offset is valid and whole.
        private(set) var validUpTo = 0

        /// Checks the bytes from `validUpTo` on, leaving a trailing incomplete sequence for later.
        /// - Parameter bytes: The whole buffer read so far.
        /// - Returns: The offset where the first bad sequence starts, or `nil` if none so far.
        mutating func validate(_ bytes: [UInt8]) -> Int? {
            bytes.withUnsafeBufferPointer { buffer in
                var index = validUpTo
                let end = buffer.count
                while index < end {
                    let lead = buffer[index]
                    if lead < 0x80 {
                        index += 1
                        continue
                    }
                    let length: Int
                    var low: UInt8 = 0x80
                    var high: UInt8 = 0xBF
                    switch lead {
                    case 0xC2...0xDF: length = 2
                    case 0xE0: length = 3; low = 0xA0
                    case 0xE1...0xEC, 0xEE...0xEF: length = 3
                    case 0xED: length = 3; high = 0x9F
                    case 0xF0: length = 4; low = 0x90
                    case 0xF1...0xF3: length = 4
                    case 0xF4: length = 4; high = 0x8F
                    default:
                        validUpTo = index
                        return index
                    }
                    // Check what is there; an incomplete tail waits for more bytes.
                    for offset in 1..<length {
                        guard index + offset < end else {
                            validUpTo = index
                            return nil
                        }
                        let byte = buffer[index + offset]
                        let (lower, upper) = offset == 1 ? (low, high) : (0x80, 0xBF)
                        guard byte >= lower && byte <= upper else {
                            validUpTo = index
                            return index
                        }
                    }
                    index += length
                }
                validUpTo = index
                return nil
            }
        }

        /// Checks that nothing incomplete is left at the end of the input.
        /// - Parameter bytes: The whole input.
        /// - Returns: The offset of a truncated last sequence, or `nil`.
        func finish(_ bytes: [UInt8]) -> Int? {
            validUpTo < bytes.count ? validUpTo : nil
        }
    }
}
