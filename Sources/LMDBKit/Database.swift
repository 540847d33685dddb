internal import CLMDB

/// How a named database stores its entries.
public struct DatabaseFlags: OptionSet, Sendable, Hashable {
    /// The `mdb_dbi_open` flag bits.
    public let rawValue: UInt32
    /// Flags from their `mdb_dbi_open` bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_DUPSORT`: a key may hold many values, kept sorted.
    public static let duplicateSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
    /// `MDB_DUPFIXED`: with `duplicateSort`, all values have one size and are packed tightly.
    public static let duplicateFixed = DatabaseFlags(rawValue: UInt32(MDB_DUPFIXED))
}

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

    /// The database's name.
    public var description: String { name }
}
