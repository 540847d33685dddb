internal import IngestCore

/// What users type: durations, sizes and job ids (`Sources/IngestCore`).
extension FuzzCase {
    public static let duration = FuzzCase("duration") { bytes in
        guard let duration = DurationParser.parse(String(decoding: bytes, as: UTF8.self)) else { return }
        expect(duration >= .zero, "a parsed duration is negative")
    } seeds: {
        ["90", "90s", "500ms", "5m", "1h30m", "2d", "0s"].map { Array($0.utf8) }
    }

    public static let size = FuzzCase("size") { bytes in
        _ = SizeParser.parse(String(decoding: bytes, as: UTF8.self))
    } seeds: {
        ["1048576", "512K", "200M", "200MB", "200MiB", "2g", " 1T "].map { Array($0.utf8) }
    }

    public static let jobID = FuzzCase("job-id") { bytes in
        let stored = JobID(storedBytes: bytes)
        let text = String(validating: bytes, as: UTF8.self)
        let validated = text.flatMap { try? JobID(validating: $0) }
        expect(stored == validated, "stored and typed ids disagree on \(Array(bytes))")
        if let stored { expect(stored.bytes == Array(bytes), "an id's bytes are not the bytes it was read from") }
        if let text, validated == nil {
            do throws(JobIDError) { _ = try JobID(validating: text) } catch { _ = error.description }
        }
    } seeds: {
        ["job-1", "01jc9x2k4mzt8aqrs", "a.b_c-D", String(repeating: "x", count: 128)].map { Array($0.utf8) }
    }

    public static let parsers: [FuzzCase] = [duration, size, jobID]
}
