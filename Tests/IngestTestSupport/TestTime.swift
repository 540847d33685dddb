internal import Foundation

/// The one knob for how long tests wait: `INGEST_TEST_TIME_SCALE`, a number ≥ 1 (default 1).
///
/// Every bound that exists to catch a hang or a stall — how long to wait for a child
/// process, a condition, a line, and the suites' `.timeLimit`s — is multiplied by it.
/// `tools/sanitize` sets it, because sanitized code runs several times slower; at the
/// default of 1 every bound is exactly what the test wrote. Bounds that are the product's
/// own settings (an embed timeout, a grace period) are not scaled; the slack a test allows
/// on top of them is.
public enum TestTime {
    /// The factor, read once. An unset, unparsable or smaller-than-1 value counts as 1, so
    /// the knob can only make bounds longer.
    public static let scale: Double = {
        guard let text = ProcessInfo.processInfo.environment["INGEST_TEST_TIME_SCALE"],
              let value = Double(text), value.isFinite, value >= 1 else { return 1 }
        return value
    }()

    /// `seconds` × the scale.
    public static func seconds(_ seconds: Double) -> Double {
        seconds * scale
    }

    /// `duration` × the scale.
    public static func scaled(_ duration: Duration) -> Duration {
        scale == 1 ? duration : duration * scale
    }

    /// Whole minutes × the scale, rounded up, for `.timeLimit(.minutes(TestTime.minutes(3)))`:
    /// Swift Testing's time limits are whole minutes.
    public static func minutes(_ minutes: Int) -> Int {
        Int((Double(minutes) * scale).rounded(.up))
    }
}
