internal import CLMDB
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Turns a crash on a damaged data file into a clear message and a chosen exit status.
///
/// LMDB keeps no checksums and follows the page numbers, offsets and sizes stored in its
/// pages. A damaged page can make it read past the end of the file (SIGBUS), follow a wild
/// pointer (SIGSEGV), overrun a buffer of its own (glibc then aborts) or fail one of its
/// assertions — inside LMDB's own code, where no check of ours runs first. With the guard
/// installed, such a failure writes the store's message to stderr and ends the process with
/// the chosen status. It counts as the store's when it happens on a thread inside one of
/// the store's transactions, at an address in the store's map, or at an instruction of
/// liblmdb. Anything else goes on to the handler installed before (the Swift runtime's
/// backtracer), so real bugs still crash loudly.
///
/// Ending the process there is as safe for the store as a power cut: LMDB writes nothing
/// of a transaction before it commits, and these faults happen while reading.
///
/// Linux only; elsewhere `install` does nothing.
public enum FaultGuard {
    /// Installs the SIGSEGV and SIGBUS handlers. Call it once, before opening environments:
    /// only those opened afterwards are guarded.
    /// - Parameters:
    ///   - exitStatus: What the process exits with after a guarded fault.
    ///   - message: The line to print for the store at a path (without a newline).
    public static func install(exitStatus: Int32, message: @escaping @Sendable (_ path: String) -> String) {
        #if os(Linux)
        state.withLock { state in
            guard state.message == nil else { return }
            state.message = message
            FaultHandlerState.prepare(exitStatus: exitStatus, lmdbCode: MapLocator.executableRange(ofLibraryNamed: "liblmdb"))
        }
        #endif
    }

    /// Starts guarding the map of the store at `path`; `nil` when the guard is not installed.
    static func register(_ path: String, range: MapRange?) -> Int? {
        #if os(Linux)
        state.withLock { state in
            guard let message = state.message else { return nil }
            return FaultHandlerState.claimSlot(message: message(path) + "\n", range: range)
        }
        #else
        nil
        #endif
    }

    /// The map of a guarded store moved (it was resized).
    static func update(_ slot: Int, range: MapRange?) {
        #if os(Linux)
        state.withLock { _ in FaultHandlerState.setRange(slot, range) }
        #endif
    }

    /// The store's environment closed.
    static func unregister(_ slot: Int) {
        #if os(Linux)
        state.withLock { _ in FaultHandlerState.releaseSlot(slot) }
        #endif
    }

    /// Runs `body` — a transaction of the store in `slot` — marked as the store's on this
    /// thread, so that a failure inside it is reported as the store's damage.
    static func marking<R>(_ slot: Int?, _ body: () throws -> R) rethrows -> R {
        #if os(Linux)
        guard let slot, let key = FaultHandlerState.threadKey else { return try body() }
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(slot + 1)))
        defer { pthread_setspecific(key, previous) }
        #endif
        return try body()
    }

    /// Ends the process the way a guarded fault does, for damage LMDB reported during a
    /// write transaction: it may have followed damaged pages while changing them in memory,
    /// so the heap is no longer to be trusted. Returns when the guard is not installed.
    static func exitForDamage(_ slot: Int?) {
        #if os(Linux)
        guard let slot, let slots = FaultHandlerState.slots, slots[slot].used else { return }
        printAndExit(slot, slots)
        #endif
    }

    /// Has LMDB call back here instead of printing and aborting when one of its assertions
    /// fails on this environment (a damaged page breaks what it assumes).
    static func watchAssertions(of handle: OpaquePointer, slot: Int) {
        #if os(Linux)
        mdb_env_set_userctx(handle, UnsafeMutableRawPointer(bitPattern: UInt(slot + 1)))
        mdb_env_set_assert(handle, assertionHandler)
        #endif
    }

    private struct State: ~Copyable {
        var message: (@Sendable (String) -> String)?
    }

    private static let state = Mutex(State())
}

#if os(Linux)
/// What the signal handler reads: plain memory, written only under `FaultGuard.state`'s
/// lock; the slot table is never freed, and a slot's message buffer is reused by the next
/// store to claim the slot (see `claimSlot`). A handler may not allocate, lock or call Swift
/// code that might, so it sees only these raw values.
private enum FaultHandlerState {
    struct Slot {
        var used = false
        var start: UInt = 0
        var end: UInt = 0
        var message: UnsafeMutablePointer<UInt8>?
        var length = 0
        /// How many bytes `message` has room for.
        var capacity = 0
    }

    static let slotCount = 16
    static let signals = [SIGSEGV, SIGBUS, SIGABRT]
    /// Reads past the end of the map (a size running off its last page) still count as the
    /// store's: LMDB's offsets are at most 64 KiB past a page, its sizes run forward.
    static let margin: UInt = 1 << 20

    nonisolated(unsafe) static var slots: UnsafeMutablePointer<Slot>?
    nonisolated(unsafe) static var previous: UnsafeMutablePointer<sigaction>?
    nonisolated(unsafe) static var exitStatus: Int32 = 70
    nonisolated(unsafe) static var lmdbCode: MapRange?
    /// Per thread: 1 + the slot of the store whose transaction the thread is in, or nil.
    nonisolated(unsafe) static var threadKey: pthread_key_t?

    static func prepare(exitStatus status: Int32, lmdbCode code: MapRange?) {
        let table = UnsafeMutablePointer<Slot>.allocate(capacity: slotCount)
        table.initialize(repeating: Slot(), count: slotCount)
        slots = table
        exitStatus = status
        lmdbCode = code
        var key = pthread_key_t()
        if pthread_key_create(&key, nil) == 0 { threadKey = key }
        let saved = UnsafeMutablePointer<sigaction>.allocate(capacity: signals.count)
        saved.initialize(repeating: sigaction(), count: signals.count)
        previous = saved
        for (index, signal) in signals.enumerated() {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = faultHandler
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, saved + index)
        }
    }

    static func claimSlot(message: String, range: MapRange?) -> Int? {
        guard let slots else { return nil }
        for index in 0..<slotCount where !slots[index].used {
            let bytes = Array(message.utf8)
            // A released slot keeps its buffer, which the new message reuses when it fits.
            // Replacing the pointer without freeing leaked the old text at every reopen
            // (LeakSanitizer: `ingest compact`). It is freed only when too small: no handler
            // picks a released slot (its range is cleared, no transaction of its store
            // runs), so only a fault racing the store's close could still be printing it.
            var buffer = slots[index].message
            var capacity = slots[index].capacity
            if buffer == nil || capacity < bytes.count {
                buffer?.deallocate()
                buffer = .allocate(capacity: bytes.count)
                capacity = bytes.count
            }
            buffer?.update(from: bytes, count: bytes.count)
            slots[index] = Slot(
                used: false, start: range?.start ?? 0, end: range?.end ?? 0, message: buffer, length: bytes.count,
                capacity: capacity
            )
            slots[index].used = true
            return index
        }
        return nil
    }

    static func setRange(_ index: Int, _ range: MapRange?) {
        guard let slots else { return }
        slots[index].start = range?.start ?? 0
        slots[index].end = range?.end ?? 0
    }

    static func releaseSlot(_ index: Int) {
        guard let slots else { return }
        slots[index].used = false
        // The message stays allocated (the next claim of the slot reuses it): a fault on
        // another thread may be printing it.
        slots[index].start = 0
        slots[index].end = 0
    }
}

/// The SIGSEGV/SIGBUS/SIGABRT handler (see `FaultGuard`). Touches only
/// `FaultHandlerState`'s raw memory and calls only `pthread_getspecific`, `write`,
/// `sigaction`, `raise` and `_exit` (async-signal-safe, or in glibc a plain array read).
private func faultHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    guard let slots = FaultHandlerState.slots else { return chain(signal, sent: true) }
    var chosen = -1
    if let key = FaultHandlerState.threadKey, let marked = pthread_getspecific(key) {
        let index = Int(bitPattern: UInt(bitPattern: marked)) - 1
        if index >= 0, index < FaultHandlerState.slotCount, slots[index].used { chosen = index }
    }
    // An abort outside a transaction, or a signal another process sent, is not the store's.
    let fault = signal != SIGABRT && (info?.pointee.si_code ?? 0) > 0
    if chosen < 0, fault, let info {
        let address = UInt(bitPattern: info.pointee._sifields._sigfault.si_addr)
        chosen = slotContaining(address, slots)
        if chosen < 0, let code = FaultHandlerState.lmdbCode, let pc = programCounter(context), pc >= code.start, pc < code.end {
            chosen = firstUsedSlot(slots)
        }
    }
    guard chosen >= 0 else { return chain(signal, sent: !fault) }
    printAndExit(chosen, slots)
}

/// LMDB's assertion callback: the environment's slot is its user context.
private func assertionHandler(_ environment: OpaquePointer?, _ message: UnsafePointer<CChar>?) {
    guard let slots = FaultHandlerState.slots, let context = mdb_env_get_userctx(environment) else { return }
    let index = Int(bitPattern: UInt(bitPattern: context)) - 1
    guard index >= 0, index < FaultHandlerState.slotCount, slots[index].used else { return }
    printAndExit(index, slots)
}

private func slotContaining(_ address: UInt, _ slots: UnsafeMutablePointer<FaultHandlerState.Slot>) -> Int {
    for index in 0..<FaultHandlerState.slotCount where slots[index].used {
        let slot = slots[index]
        if slot.end > slot.start, address >= slot.start, address - slot.start < slot.end - slot.start + FaultHandlerState.margin {
            return index
        }
    }
    return -1
}

private func firstUsedSlot(_ slots: UnsafeMutablePointer<FaultHandlerState.Slot>) -> Int {
    for index in 0..<FaultHandlerState.slotCount where slots[index].used { return index }
    return -1
}

private func printAndExit(_ index: Int, _ slots: UnsafeMutablePointer<FaultHandlerState.Slot>) -> Never {
    if let message = slots[index].message {
        var written = 0
        while written < slots[index].length {
            let count = write(STDERR_FILENO, message + written, slots[index].length - written)
            if count <= 0 { break }
            written += count
        }
    }
    _exit(FaultHandlerState.exitStatus)
}

/// Puts back the handler that was there before. Returning re-runs a faulting instruction,
/// which then reaches it; a signal raised on purpose (`abort`, `kill`) is raised again (it
/// stays blocked until this handler returns).
private func chain(_ signal: Int32, sent: Bool = false) {
    guard let previous = FaultHandlerState.previous,
        let index = FaultHandlerState.signals.firstIndex(of: signal)
    else { return }
    _ = sigaction(signal, previous + index, nil)
    if sent { _ = raise(signal) }
}

/// The instruction that faulted, from the signal's machine context.
private func programCounter(_ context: UnsafeMutableRawPointer?) -> UInt? {
    guard let context else { return nil }
    let machine = context.assumingMemoryBound(to: ucontext_t.self)
    #if arch(x86_64)
    // gregs[REG_RIP]; the constant is not imported into Swift.
    return withUnsafeBytes(of: machine.pointee.uc_mcontext.gregs) { UInt(bitPattern: $0.load(fromByteOffset: 16 * 8, as: Int.self)) }
    #elseif arch(arm64)
    return UInt(machine.pointee.uc_mcontext.pc)
    #else
    return nil
    #endif
}
#endif
