// swift-tools-version: 6.1
// The benchmark program for issue 4. A package of its own so that its extra dependencies
// (GRDB for the SQLite peer) never enter the product's targets.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "IngestBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The product, by path: its sources as they are in this work tree.
        .package(name: "ResumableIngest", path: "../.."),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ingest-bench",
            dependencies: [
                .product(name: "LMDBKit", package: "ResumableIngest"),
                .product(name: "IngestCore", package: "ResumableIngest"),
                .product(name: "IngestStore", package: "ResumableIngest"),
                .product(name: "IngestRunner", package: "ResumableIngest"),
                .product(name: "IngestPipeline", package: "ResumableIngest"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
