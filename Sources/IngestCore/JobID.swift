/// A job's identifier: 1 to 128 of `A-Z a-z 0-9 . _ -`, given by the user or generated.
///
/// Generated ids are time-ordered (milliseconds in Crockford base32, then random
/// characters), so listing jobs in key order lists them roughly by submission. Without a
/// real-time clock the order may be off; uniqueness comes from the random part.
public struct JobID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id as text.
    public let rawValue: String

    /// Validates a user-given id.
    /// - Throws: `JobIDError` naming the rule the id breaks.
    public init(validating text: String) throws(JobIDError) {
        guard !text.isEmpty else { throw JobIDError(text: text, problem: "is empty") }
        guard text.utf8.count <= 128 else { throw JobIDError(text: text, problem: "is longer than 128 characters") }
        guard text.utf8.allSatisfy(Self.isAllowed) else {
            throw JobIDError(text: text, problem: "may only hold A-Z, a-z, 0-9, '.', '_' and '-'")
        }
        guard text != "." && text != ".." else { throw JobIDError(text: text, problem: "is not a name") }
        rawValue = text
    }

    /// Decodes an id read back from the store, where it was validated when written.
    public init?(storedBytes bytes: some Collection<UInt8>) {
        guard let text = String(validating: bytes, as: UTF8.self), let id = try? JobID(validating: text) else {
            return nil
        }
        self = id
    }

    /// A new time-ordered id: 10 characters of milliseconds, then 6 random ones.
    public static func generate<G: RandomNumberGenerator>(at time: Timestamp, using generator: inout G) -> JobID {
        make(at: time) { generator.next() }
    }

    /// A new time-ordered id, its random characters from the system's random source.
    ///
    /// Not `generate(at:using:)` with a `SystemRandomNumberGenerator`: that type is empty,
    /// Swift (6.3.1) passes an empty value's `inout` address as undefined, and in a
    /// ThreadSanitizer build the access check on that address can crash the process (see
    /// tools/sanitizers/tsan.supp). The standard library's `random(in:)` keeps its
    /// generator inside code that is not instrumented.
    public static func generate(at time: Timestamp) -> JobID {
        make(at: time) { UInt64.random(in: .min ... .max) }
    }

    private static func make(at time: Timestamp, random: () -> UInt64) -> JobID {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
        var bytes = [UInt8](repeating: 0, count: 16)
        var millis = time.millisecondsSince1970
        for index in (0..<10).reversed() {
            bytes[index] = alphabet[Int(millis & 31)]
            millis >>= 5
        }
        for index in 10..<16 {
            bytes[index] = alphabet[Int(random() & 31)]
        }
        return JobID(trusted: String(decoding: bytes, as: UTF8.self))
    }

    private init(trusted: String) { rawValue = trusted }

    /// The id's bytes, as used in keys.
    public var bytes: [UInt8] { Array(rawValue.utf8) }

    /// The id as text.
    public var description: String { rawValue }

    /// Orders ids by their bytes, as the store's keys are ordered.
    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == 0x2E || byte == 0x5F || byte == 0x2D
    }
}

/// A job id that breaks the id rules.
public struct JobIDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id as given.
    public let text: String
    /// The rule it breaks.
    public let problem: String

    /// The id (shortened when long) and the rule it breaks.
    public var description: String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "job id \"\(shown)\" \(problem)"
    }
}
