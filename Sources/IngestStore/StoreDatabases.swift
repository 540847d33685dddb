internal import LMDBKit

/// The named databases of a job store (DESIGN.md, "Storage").
struct StoreDatabases: Sendable {
    static let names = ["meta", "jobs", "phases", "by_status", "leases", "journal", "items", "queue"]

    let meta: Database
    let jobs: Database
    let phases: Database
    let byStatus: Database
    let leases: Database
    let journal: Database
    let items: Database
    let queue: Database

    /// Opens them all through the environment (serialised and cached), or `nil` when one is missing.
    static func openExisting(in environment: Environment) throws -> StoreDatabases? {
        var opened: [Database] = []
        for name in names {
            guard let database = try environment.openDatabase(named: name, create: false) else { return nil }
            opened.append(database)
        }
        return StoreDatabases(
            meta: opened[0], jobs: opened[1], phases: opened[2], byStatus: opened[3],
            leases: opened[4], journal: opened[5], items: opened[6], queue: opened[7]
        )
    }

    /// Opens them all, creating the missing ones when `create` is set.
    /// - Returns: `nil` when one is missing and `create` is false.
    static func open(in txn: ReadTransaction, create: Bool) throws -> StoreDatabases? {
        var opened: [Database] = []
        for name in names {
            guard let database = try txn.openDatabase(named: name, create: create) else { return nil }
            opened.append(database)
        }
        return StoreDatabases(
            meta: opened[0], jobs: opened[1], phases: opened[2], byStatus: opened[3],
            leases: opened[4], journal: opened[5], items: opened[6],
            queue: opened[7]
        )
    }
}
