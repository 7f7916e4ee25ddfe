// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "countersign",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "countersign", targets: ["countersign"]),
        .library(name: "CountersignCore", targets: ["CountersignCore"]),
        .library(name: "CountersignStore", targets: ["CountersignStore"]),
        .library(name: "CountersignOAuth", targets: ["CountersignOAuth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The system's SQLite (Debian: libsqlite3-dev; scripts/test installs it when absent).
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Domain values and pure logic: no I/O, no HTTP, no SQL, no JWT.
        .target(
            name: "CountersignCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Narrow storage protocols and their SQLite implementation, migrations.
        .target(
            name: "CountersignStore",
            dependencies: [
                "CountersignCore",
                "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                // The writer's thread and the caller's event loop its answers complete on.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The protocol: endpoints, grants, tokens, keys, client authentication. No Hummingbird.
        .target(
            name: "CountersignOAuth",
            dependencies: [
                "CountersignCore",
                "CountersignStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // The one client of the server's own requests (Outbound/).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Approvals and their notifications: the service every step goes through, the approver
        // API, CIBA ping/push and webhook delivery from the outbox, other processes' changes.
        .target(
            name: "CountersignApprovals",
            dependencies: [
                "CountersignCore",
                "CountersignStore",
                "CountersignOAuth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird application: routes, configuration, lifecycle.
        .target(
            name: "CountersignServer",
            dependencies: [
                "CountersignCore",
                "CountersignStore",
                "CountersignOAuth",
                "CountersignApprovals",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.embedInCode("Resources/example-policy.yaml"), .embedInCode("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "countersign",
            dependencies: [
                "CountersignCore",
                "CountersignStore",
                "CountersignOAuth",
                "CountersignApprovals",
                "CountersignServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                // `countersign demo`: its built-in identity provider and its client.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignCoreTests",
            // Yams: the node count before parsing is checked against the nodes Yams makes.
            dependencies: [
                "CountersignCore", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignStoreTests",
            dependencies: [
                "CountersignCore", "CountersignStore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // A real authorization server and its approvals over SQLite, for the tests that drive them.
        .target(
            name: "CountersignTestSupport",
            dependencies: [
                "CountersignCore", "CountersignStore", "CountersignOAuth", "CountersignApprovals",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CountersignTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignApprovalsTests",
            dependencies: [
                "CountersignCore", "CountersignStore", "CountersignOAuth", "CountersignApprovals", "CountersignTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignOAuthTests",
            dependencies: [
                "CountersignCore", "CountersignStore", "CountersignOAuth", "CountersignApprovals", "CountersignTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignServerTests",
            dependencies: [
                "CountersignCore", "CountersignStore", "CountersignOAuth", "CountersignApprovals", "CountersignServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
