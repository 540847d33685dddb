// swift-tools-version: 6.1
import PackageDescription

/// Strict settings for every target: Swift 6 language mode comes from the tools version;
/// these upcoming features keep imports and existentials explicit.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ResumableIngest",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LMDBKit", targets: ["LMDBKit"]),
        .library(name: "IngestCore", targets: ["IngestCore"]),
        .library(name: "IngestStore", targets: ["IngestStore"]),
        .library(name: "IngestRunner", targets: ["IngestRunner"]),
        .library(name: "IngestPipeline", targets: ["IngestPipeline"]),
        .executable(name: "ingest", targets: ["ingest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // SHA-256 for content hashes, with the CPU's SHA instructions (see SHA256.swift).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // `swift package generate-documentation` (tools/docs); a command plugin, built only when used.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDBKit", dependencies: ["CLMDB"], swiftSettings: strictSettings),
        // glibc calls the exec embedder's posix_spawn needs that the Glibc module hides.
        .target(name: "CExecSpawn"),
        // glibc's mallopt, for the CLI's allocator settings (see AllocatorTuning).
        .target(name: "CMallocTuning"),
        .target(name: "IngestCore", swiftSettings: strictSettings),
        .target(
            name: "IngestStore",
            dependencies: [
                "LMDBKit", "IngestCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "IngestRunner",
            dependencies: [
                "IngestStore", "IngestCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "IngestPipeline",
            dependencies: [
                "IngestRunner", "IngestStore", "IngestCore", "LMDBKit", "CExecSpawn",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ingest",
            dependencies: [
                "IngestPipeline", "IngestRunner", "IngestStore", "IngestCore", "LMDBKit", "CMallocTuning",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),

        // An example host embedding IngestStore + IngestRunner with its own phases.
        .executableTarget(
            name: "ingest-host-example",
            dependencies: [
                "IngestRunner", "IngestStore", "IngestCore", "LMDBKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/HostExample",
            swiftSettings: strictSettings
        ),

        // A child process for the crash tests: it hammers phase updates and prints each
        // acknowledged one, so the parent can kill it and check what survived.
        .executableTarget(
            name: "ingest-hammer",
            dependencies: ["IngestStore", "IngestCore"],
            path: "Tests/IngestHammer",
            swiftSettings: strictSettings
        ),
        .target(
            name: "IngestTestSupport",
            dependencies: ["IngestStore", "IngestCore", "LMDBKit", "IngestPipeline"],
            path: "Tests/IngestTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "IngestCoreTests", dependencies: ["IngestCore", "IngestTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "LMDBKitTests",
            dependencies: ["LMDBKit", "IngestTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IngestStoreTests",
            dependencies: ["IngestStore", "IngestCore", "LMDBKit", "IngestTestSupport", "ingest-hammer"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IngestRunnerTests",
            dependencies: [
                "IngestRunner", "IngestStore", "IngestCore", "LMDBKit", "IngestTestSupport",
                .product(name: "Logging", package: "swift-log"),
                // The getting-started example (GettingStartedExample.swift) uses what a host would.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IngestPipelineTests",
            dependencies: ["IngestPipeline", "IngestRunner", "IngestStore", "IngestCore", "LMDBKit", "IngestTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IngestCLITests",
            dependencies: ["IngestTestSupport", "ingest"],
            swiftSettings: strictSettings
        ),
    ]
)
