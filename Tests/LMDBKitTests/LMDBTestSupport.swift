import Foundation
import IngestTestSupport
import Synchronization
import Testing
@testable import LMDBKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The UTF-8 bytes of `string`, for keys and values.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// `value` as 8 big-endian bytes, so byte order is numeric order.
func bigEndian(_ value: UInt64) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// Reads 8 big-endian bytes back into a number.
func decodeBigEndian(_ bytes: [UInt8]) -> UInt64 {
    precondition(bytes.count == 8)
    return bytes.reduce(0) { ($0 << 8) | UInt64($1) }
}

/// Runs `body` with a fresh temporary directory that lives until `body` returns.
func withTemporaryDirectory<R>(_ body: (TemporaryDirectory) throws -> R) rethrows -> R {
    let directory = TemporaryDirectory("lmdbkit-test")
    return try withExtendedLifetime(directory) { try body(directory) }
}

/// Opens `path` and creates the named database `name` in it.
func openWithDatabase(
    _ path: String, named name: String = "items", options: EnvironmentOptions = .init()
) throws -> (Environment, Database) {
    let environment = try Environment.open(path: path, options: options)
    let database = try #require(try environment.openDatabase(named: name, create: true))
    return (environment, database)
}

/// Every key and value of `database`, in the order a scan returns them.
func allEntries(_ environment: Environment, _ database: Database, prefix: [UInt8] = []) throws -> [([UInt8], [UInt8])] {
    try environment.read { txn throws in
        var entries: [([UInt8], [UInt8])] = []
        try txn.scan(database, prefix: prefix) { key, value in
            entries.append((Array(key), Array(value)))
            return true
        }
        return entries
    }
}

/// Just the keys of `allEntries`.
func allKeys(_ environment: Environment, _ database: Database, prefix: [UInt8] = []) throws -> [[UInt8]] {
    try allEntries(environment, database, prefix: prefix).map(\.0)
}

/// The names of the entries in `path`, sorted; empty when it cannot be listed.
func directoryListing(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// The whole contents of the file at `path`.
func fileContents(_ path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}

/// A lock-protected value that threads can share.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    func withLockThrowing<R: Sendable>(_ body: (inout Value) throws -> R) throws -> R {
        try mutex.withLock { (value: inout Value) throws(any Error) -> R in try body(&value) }
    }
    var value: Value { mutex.withLock { $0 } }
}

/// Thrown from helper threads, where `#require` cannot record an issue.
struct Unexpected: Error, CustomStringConvertible {
    let description: String
}

/// `value`, or a thrown `Unexpected` naming `what` when it is nil.
func unwrap<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw Unexpected(description: "\(what) is nil") }
    return value
}

/// Runs `body(index)` on `count` dedicated threads (not the cooperative pool) and waits for
/// all of them. Errors thrown by `body` are returned as descriptions.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String] {
    let errors = Locked<[String]>([])
    let done = DispatchSemaphore(value: 0)
    for index in 0..<count {
        let thread = Thread {
            do {
                try body(index)
            } catch {
                errors.withLock { $0.append("thread \(index): \(error)") }
            }
            done.signal()
        }
        thread.start()
    }
    for _ in 0..<count { done.wait() }
    return errors.value
}
