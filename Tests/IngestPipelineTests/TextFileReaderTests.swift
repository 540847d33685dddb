import Foundation
import IngestPipeline
import IngestTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reading text files: content, hash, and each reason a file cannot be loaded.
struct TextFileReaderTests {
    typealias F = LoaderFixture

    private func read(_ root: TemporaryDirectory, _ name: String, bytes: [UInt8], maxBytes: Int = 1 << 20) -> Result<TextFile, FileProblem> {
        F.write(root, name, bytes: bytes)
        return TextFileReader.read(path: root.appending(name), maxBytes: maxBytes)
    }

    private func failure(_ result: Result<TextFile, FileProblem>) -> FileProblem? {
        if case .failure(let problem) = result { return problem }
        return nil
    }

    @Test func readsTextAndHashesBytes() throws {
        let root = TemporaryDirectory("read-text")
        let text = "Grüße, world\nsecond line\n"
        let file = try read(root, "a.txt", bytes: Array(text.utf8)).get()
        #expect(file.text == text)
        #expect(file.byteCount == text.utf8.count)
        #expect(file.contentHash == SHA256.hexDigest(Array(text.utf8)))
    }

    @Test func emptyFile() throws {
        let root = TemporaryDirectory("read-empty")
        let file = try read(root, "empty", bytes: []).get()
        #expect(file.text == "")
        #expect(file.byteCount == 0)
        #expect(file.contentHash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func byteOrderMarkIsStrippedAndCRLFKept() throws {
        let root = TemporaryDirectory("read-bom")
        let raw: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("one\r\ntwo\r\n".utf8)
        let file = try read(root, "bom.txt", bytes: raw).get()
        #expect(file.text == "one\r\ntwo\r\n")
        #expect(file.text.utf8.count == raw.count - 3)
        #expect(file.byteCount == raw.count)
        #expect(file.contentHash == SHA256.hexDigest(raw))
    }

    @Test func threeMegabyteFile() throws {
        let root = TemporaryDirectory("read-large")
        var text = ""
        var line = 0
        while text.utf8.count < 3_000_000 {
            text += "line \(line): the quick brown fox — jumps over the lazy dog ✓\n"
            line += 1
        }
        let bytes = Array(text.utf8)
        let file = try read(root, "big.txt", bytes: bytes, maxBytes: 4_000_000).get()
        #expect(file.byteCount == bytes.count)
        #expect(file.text == text)
        #expect(file.contentHash == SHA256.hexDigest(bytes))
        // Cross-checked with the system's sha256sum where there is one.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") {
            let output = try ChildProcess.run("/usr/bin/sha256sum", [root.appending("big.txt")])
            #expect(output.stdout.hasPrefix(file.contentHash + " "))
        }
    }

    @Test func multiByteCharacterAcrossABlockBoundary() throws {
        let root = TemporaryDirectory("read-boundary")
        // "€" is 3 bytes; place it so it straddles the 64 KiB read boundary.
        let text = String(repeating: "a", count: TextFileReader.blockSize - 1) + "€" + "tail"
        let file = try read(root, "edge.txt", bytes: Array(text.utf8)).get()
        #expect(file.text == text)
    }

    @Test func vanished() throws {
        let root = TemporaryDirectory("read-vanished")
        let result = TextFileReader.read(path: root.appending("gone.txt"), maxBytes: 100)
        let problem = try #require(failure(result))
        #expect(problem.category == .vanished)
        #expect(problem.path == root.appending("gone.txt"))
        #expect(problem.description.contains("vanished"))
        // A parent that became a file also counts as vanished (ENOTDIR).
        F.write(root, "file")
        #expect(failure(TextFileReader.read(path: root.appending("file/x"), maxBytes: 100))?.category == .vanished)
    }

    @Test func unreadable() throws {
        try #require(F.canDropPrivileges, "cannot drop privileges here")
        let root = TemporaryDirectory("read-locked")
        F.write(root, "locked.txt", "secret")
        chmod(root.appending("locked.txt"), 0)
        let result = F.runUnprivileged { TextFileReader.read(path: root.appending("locked.txt"), maxBytes: 100) }
        let problem = try #require(failure(result))
        #expect(problem.category == .unreadable)
        #expect(problem.description.contains("Permission denied"))
        #expect(problem.description.contains("errno 13"))
        // Negative control: with privileges the same file reads.
        #expect(try TextFileReader.read(path: root.appending("locked.txt"), maxBytes: 100).get().text == "secret")
    }

    @Test func tooLarge() throws {
        let root = TemporaryDirectory("read-large-limit")
        let result = read(root, "big.txt", bytes: [UInt8](repeating: 0x61, count: 100), maxBytes: 99)
        let problem = try #require(failure(result))
        #expect(problem.category == .tooLarge)
        #expect(problem.description.contains("100 bytes"))
        #expect(problem.description.contains("limit of 99 bytes"))
        // Negative control: at the limit it reads.
        #expect(try TextFileReader.read(path: root.appending("big.txt"), maxBytes: 100).get().byteCount == 100)
    }

    @Test func binaryByNULByte() throws {
        let root = TemporaryDirectory("read-nul")
        let problem = try #require(failure(read(root, "nul.bin", bytes: Array("abc".utf8) + [0] + Array("def".utf8))))
        #expect(problem.category == .binary)
        #expect(problem.byteOffset == 3)
        #expect(problem.description.contains("NUL byte at offset 3"))
        // A PNG header: binary, not "not UTF-8", because the NUL test comes first.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]
        #expect(failure(read(root, "x.png", bytes: png))?.category == .binary)
    }

    @Test func binaryByControlCharacters() throws {
        let root = TemporaryDirectory("read-controls")
        var bytes: [UInt8] = []
        for index in 0..<200 { bytes.append(index % 4 == 0 ? 0x01 : 0x61) }
        let problem = try #require(failure(read(root, "ctl.bin", bytes: bytes)))
        #expect(problem.category == .binary)
        #expect(problem.description.contains("50 of its first 200 bytes"))
        // Negative control: tabs, CR, form feeds and ANSI escapes are text.
        let text = "\tcol\r\n\u{0C}\u{1B}[31mred\u{1B}[0m\u{0B}\n"
        #expect(try read(root, "ok.txt", bytes: Array(text.utf8)).get().text == text)
    }

    @Test(arguments: [
        ([0x68, 0xE9, 0x6C, 0x6C, 0x6F], 1),  // Latin-1 "héllo"
        ([0x61, 0xE2, 0x82], 1),  // truncated at the end
        ([0x61, 0x62, 0xC0, 0x80], 2),  // overlong NUL
        ([0xED, 0xA0, 0x80], 0),  // a surrogate
        ([0xF4, 0x90, 0x80, 0x80], 0),  // past U+10FFFF
        ([0x61, 0x80], 1),  // a stray continuation byte
        ([0xE2, 0x82, 0xAC, 0xE2, 0x28, 0xA1], 3),  // "€" then a broken sequence
    ] as [([UInt8], Int)])
    func notUTF8(_ bytes: [UInt8], _ offset: Int) throws {
        let root = TemporaryDirectory("read-utf8")
        let problem = try #require(failure(read(root, "bad.txt", bytes: bytes)))
        #expect(problem.category == .notUTF8)
        #expect(problem.byteOffset == offset)
        #expect(problem.description.contains("byte offset \(offset)"))
    }

    @Test func notUTF8FarIntoTheFile() throws {
        let root = TemporaryDirectory("read-utf8-far")
        var bytes = Array(String(repeating: "ok ", count: 50_000).utf8)
        let offset = bytes.count
        bytes += [0xFF] + Array("more".utf8)
        let problem = try #require(failure(read(root, "late.txt", bytes: bytes)))
        #expect(problem.category == .notUTF8)
        #expect(problem.byteOffset == offset)
    }

    @Test func directory() throws {
        let root = TemporaryDirectory("read-dir")
        let problem = try #require(failure(TextFileReader.read(path: root.path, maxBytes: 100)))
        #expect(problem.category == .isDirectory)
        #expect(problem.description.contains("is a directory"))
    }

    @Test func fifoIsNotRegularAndDoesNotBlock() throws {
        let root = TemporaryDirectory("read-fifo")
        try #require(F.fifo(root, "pipe"))
        let problem = try #require(failure(TextFileReader.read(path: root.appending("pipe"), maxBytes: 100)))
        #expect(problem.category == .notRegular)
        #expect(problem.description.contains("FIFO"))
    }

    @Test func characterDeviceIsNotRegular() throws {
        let problem = try #require(failure(TextFileReader.read(path: "/dev/null", maxBytes: 100)))
        #expect(problem.category == .notRegular)
        #expect(problem.description.contains("character device"))
    }
}
