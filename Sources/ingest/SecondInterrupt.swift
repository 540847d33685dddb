import ArgumentParser
import Dispatch
import Foundation

/// A second SIGINT while the run is stopping exits at once. Every commit is one
/// transaction, so the store stays consistent; the dead lease is noticed by the next run,
/// which redoes at most the last uncommitted group.
final class SecondInterrupt: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    private init(source: any DispatchSourceSignal) { self.source = source }

    static func install() -> SecondInterrupt {
        // Dispatch sees the signal only once its default action (terminate) is off.
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Counter()
        source.setEventHandler {
            if count.increment() >= 2 {
                printError("ingest: second interrupt; exiting now — the next run resumes from the last commit")
                _exit(ExitStatus.workRemains.rawValue)
            }
        }
        source.resume()
        return SecondInterrupt(source: source)
    }

    func cancel() { source.cancel() }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
