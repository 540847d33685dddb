/// One fuzz target: what it does with the fuzzer's bytes, and valid inputs to start from.
///
/// `check` must return for every input; it traps (`expect`) only when an invariant breaks —
/// a decoded record that does not survive encode → decode — which libFuzzer then reports
/// like any crash, with the input that caused it.
public struct FuzzCase: Sendable {
    public let name: String
    let check: @Sendable (UnsafeRawBufferPointer) -> Void
    let seeds: @Sendable () -> [[UInt8]]

    init(
        _ name: String, check: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
        seeds: @escaping @Sendable () -> [[UInt8]]
    ) {
        self.name = name
        self.check = check
        self.seeds = seeds
    }
}

/// Stops the fuzzer on a broken invariant, naming it.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { preconditionFailure(message()) }
}
