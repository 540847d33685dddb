// swift-tools-version: 6.1
import Foundation
import PackageDescription

// libFuzzer targets for the store's and the pipeline's decoders and the command-line parsers.
// Not part of the main build: `tools/fuzz/run` builds this package with
// `-sanitize=fuzzer,address` and runs each target for a bounded time.

/// The main package is the repository root; SwiftPM names a path dependency after its folder,
/// which differs between clones, so the name is read from the path.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized
let main = root.lastPathComponent

/// One executable per fuzz target, each `fuzz-NAME` with its one-file entry point in `Targets/NAME`.
let names = [
    "job-record", "phase-record", "journal-entry", "lease-record", "item-receipt", "run-record", "store-meta",
    "document-record", "chunk-record", "vector-record", "postings", "pipeline-settings", "queue-items", "exec-reply",
    "duration", "size", "job-id",
]

let package = Package(
    name: "IngestFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: root.path)],
    targets: [
        .target(name: "FuzzDriver"),
        .target(
            name: "FuzzCases",
            dependencies: [
                "FuzzDriver",
                .product(name: "IngestCore", package: main),
                .product(name: "IngestStore", package: main),
                .product(name: "IngestPipeline", package: main),
            ]
        ),
    ] + names.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzCases"], path: "Targets/\(name)")
    }
)
