internal import FuzzDriver

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The main of every `fuzz-NAME` executable.
///
/// SwiftPM links an executable's own main (it renames it and points `main` at it), so the
/// executables call libFuzzer's driver themselves instead of using libFuzzer's main.
/// `--write-seeds DIR` writes the case's seed inputs (valid encodings) to DIR instead.
public enum FuzzMain {
    /// The case being fuzzed; set once, before the driver starts calling back.
    nonisolated(unsafe) private static var selected: FuzzCase?

    public static func run(_ fuzzCase: FuzzCase) -> Never {
        let arguments = CommandLine.arguments
        if arguments.count == 3, arguments[1] == "--write-seeds" {
            exit(writeSeeds(of: fuzzCase, to: arguments[2]))
        }
        selected = fuzzCase
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }

    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let selected else { preconditionFailure("FuzzMain.run was not called") }
        selected.check(bytes)
    }

    private static func writeSeeds(of fuzzCase: FuzzCase, to directory: String) -> CInt {
        for (index, seed) in fuzzCase.seeds().enumerated() {
            let path = "\(directory)/seed-\(index)"
            guard let file = fopen(path, "wb") else {
                print("fuzz-\(fuzzCase.name): cannot write \(path)")
                return 1
            }
            let written = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.count else {
                print("fuzz-\(fuzzCase.name): short write to \(path)")
                return 1
            }
        }
        return 0
    }
}

/// libFuzzer's own main is linked too and names this symbol, so it must exist; with SwiftPM's
/// renamed main it is only `FuzzMain.run`'s callback.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzMain.test(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
