import CMallocTuning
import Foundation
import Logging

/// glibc's allocator, set up for a long batch run on a small machine.
///
/// With its defaults, glibc raises its mmap threshold to the size of the largest block
/// freed so far (up to 32 MiB), so after the first large document later large blocks come
/// from the heap and stay there; and each thread that allocates may get an arena of its own.
/// Neither is a leak, but both make the process's anonymous memory a high-water mark that
/// grows with the length of the run: 38 MiB after 100 MB of text, 50 MiB after 1 GB
/// (BENCHMARKS.md, run J2). A fixed 128 KiB threshold (large blocks are mapped and returned
/// when freed) and two arenas keep it at 32 and 35 MiB (run J3), at the same speed.
///
/// A user who tunes malloc through `GLIBC_TUNABLES` keeps their settings. Hosts that embed
/// the library decide for their own process.
enum AllocatorTuning {
    static let mmapThreshold: Int32 = 128 << 10
    static let arenas: Int32 = 2

    /// What `applyOnce` did, for the debug log.
    enum Outcome: Equatable {
        case applied
        case leftToTunables
        case unsupported
    }

    private static let once: Outcome = {
        if ProcessInfo.processInfo.environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.") == true {
            return .leftToTunables
        }
        return c_malloc_tuning_apply(mmapThreshold, arenas) == 1 ? .applied : .unsupported
    }()

    /// Applies the settings, once per process, before the command's work starts.
    @discardableResult
    static func applyOnce(logger: Logger) -> Outcome {
        let outcome = once
        switch outcome {
        case .applied:
            logger.debug("allocator: mmap threshold 128 KiB, 2 arenas (a flat memory high-water mark on long runs)")
        case .leftToTunables:
            logger.debug("allocator: left as GLIBC_TUNABLES sets it")
        case .unsupported:
            logger.debug("allocator: defaults (not glibc, or mallopt refused)")
        }
        return outcome
    }
}
