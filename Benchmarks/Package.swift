// swift-tools-version:6.1
// Benchmarks live in their own package so CI's test build never compiles them.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "countersign-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "countersign", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CountersignBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CountersignCore", package: "countersign"),
                .product(name: "CountersignStore", package: "countersign"),
                .product(name: "CountersignOAuth", package: "countersign"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/CountersignBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Per-decision timing the way the peers' policy engines were measured.
        .executableTarget(
            name: "PolicyTiming",
            dependencies: [.product(name: "CountersignCore", package: "countersign")],
            path: "Sources/PolicyTiming"
        ),
    ]
)
