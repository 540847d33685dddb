internal import Foundation

/// A fresh directory under the system's temporary directory, removed when the value goes.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ prefix: String = "ingest-test") {
        let base = NSTemporaryDirectory() + "\(prefix)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the directory (not created).
    public func appending(_ component: String) -> String {
        path + "/" + component
    }
}
