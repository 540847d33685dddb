internal import CLMDB

/// A handle to a named database inside an environment.
///
/// Handles are opened once per environment and stay valid until it closes; they are plain
/// values and may be shared between threads.
public struct Database: Sendable, Hashable, CustomStringConvertible {
    let dbi: MDB_dbi
    /// The database's name inside the environment.
    public let name: String

    init(dbi: MDB_dbi, name: String) {
        self.dbi = dbi
        self.name = name
    }

    public var description: String { name }
}
