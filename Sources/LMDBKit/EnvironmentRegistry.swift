internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Device and inode of a store directory: the same directory reached by two paths is one key.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
}

/// Keeps at most one open `Environment` per directory in this process.
///
/// Entries are weak, so an environment closes when its last user lets go. An environment
/// whose last reference is gone but whose `deinit` has not yet closed it is "closing": a
/// new open waits for that close rather than opening the files a second time.
final class EnvironmentRegistry: Sendable {
    static let shared = EnvironmentRegistry()

    private final class WeakEntry: @unchecked Sendable {
        weak var environment: Environment?
        init(_ environment: Environment) { self.environment = environment }
    }

    private let entries = Mutex<[FileIdentity: WeakEntry]>([:])

    func openOrReuse<E: Error>(
        _ identity: FileIdentity,
        open: () throws(E) -> Environment,
        validate: (Environment) throws(E) -> Void
    ) throws(E) -> Environment {
        while true {
            // Opening happens under the lock so that two threads cannot both open the files.
            let lookup: RegistryLookup<E> = entries.withLock { entries in
                if let entry = entries[identity] {
                    if let environment = entry.environment { return .found(environment) }
                    return .closing
                }
                do throws(E) {
                    let environment = try open()
                    entries[identity] = WeakEntry(environment)
                    return .opened(.success(environment))
                } catch {
                    return .opened(.failure(error))
                }
            }
            switch lookup {
            case .found(let environment):
                try validate(environment)
                return environment
            case .closing:
                sched_yield()
            case .opened(let result):
                return try result.get()
            }
        }
    }

    /// Called from `Environment.deinit`: closes it and forgets the entry, atomically with
    /// respect to `openOrReuse`.
    func closing(_ identity: FileIdentity, close: () -> Void) {
        entries.withLock { entries in
            close()
            if let entry = entries[identity], entry.environment == nil {
                entries[identity] = nil
            }
        }
    }
}

private enum RegistryLookup<E: Error> {
    case found(Environment)
    case closing
    case opened(Result<Environment, E>)
}
