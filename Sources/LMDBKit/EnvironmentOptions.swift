/// How an environment is opened.
public struct EnvironmentOptions: Sendable, Equatable {
    /// How much LMDB syncs on commit.
    public enum Durability: Sendable, Equatable {
        /// Full sync of data and meta page on every commit: a committed transaction
        /// survives a power cut. The default, and the only safe choice on an SD card.
        case full
        /// `MDB_NOMETASYNC`: the meta page is not synced, so the last commit may be lost
        /// on a power cut (the store stays consistent). An explicit opt-in.
        case noMetaSync
        /// `MDB_NOSYNC`: nothing is synced; a power cut may lose any number of recent
        /// commits. For benchmarks and negative controls only.
        case noSync
    }

    /// The map size to start with, in bytes; it grows on demand up to `maxMapSize`.
    public var mapSize: Int
    /// The largest the map may grow to, in bytes. Past it, writes fail with `LMDBError.mapFull`.
    public var maxMapSize: Int
    /// The most named databases the environment may hold.
    public var maxDatabases: UInt32
    /// The most concurrent read transactions across all processes.
    public var maxReaders: UInt32
    /// Sync behaviour on commit.
    public var durability: Durability
    /// Open with `MDB_RDONLY`: no writes, and nothing is created.
    public var readOnly: Bool
    /// Permissions for newly created files.
    public var fileMode: UInt32
    /// Whether every key and value read is checked to lie within the file before it is
    /// handed out (see `MapWindow`). Only a negative control turns it off.
    public var checksMapBounds = true

    /// Options; the defaults suit a job store: full sync, a 16 MiB map that may grow to
    /// 64 GiB (1 GiB on 32-bit), 32 named databases, 126 readers.
    public init(
        mapSize: Int = 16 << 20,
        maxMapSize: Int = Int.bitWidth == 64 ? 64 << 30 : 1 << 30,
        maxDatabases: UInt32 = 32,
        maxReaders: UInt32 = 126,
        durability: Durability = .full,
        readOnly: Bool = false,
        fileMode: UInt32 = 0o644
    ) {
        self.mapSize = mapSize
        self.maxMapSize = max(maxMapSize, mapSize)
        self.maxDatabases = maxDatabases
        self.maxReaders = maxReaders
        self.durability = durability
        self.readOnly = readOnly
        self.fileMode = fileMode
    }
}
