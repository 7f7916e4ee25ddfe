import ArgumentParser
import CountersignServer
import Foundation
import Logging

/// `countersign serve`: runs the server on the configured address until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the authorization server.")

    @Option(help: "Optional YAML config file; flags beat COUNTERSIGN_* variables beat the file.")
    var config: String?
    @Option(name: .customLong("data-dir"), help: "Data directory (COUNTERSIGN_DATA_DIR, default ./countersign-data).")
    var dataDirectory: String?
    @Option(help: "Address to listen on (COUNTERSIGN_HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port, 0 for any free port (COUNTERSIGN_PORT, default 8080).")
    var port: String?
    @Option(help: "Issuer URL (COUNTERSIGN_ISSUER, default http://HOST:PORT).")
    var issuer: String?
    @Option(help: "Policy file (COUNTERSIGN_POLICY, default DATA_DIR/policy.yaml).")
    var policy: String?
    @Option(name: .customLong("database-url"), help: "postgres:// URL (COUNTERSIGN_DATABASE_URL).")
    var databaseURL: String?
    @Option(name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error|critical (COUNTERSIGN_LOG_LEVEL).")
    var logLevel: String?
    @Option(
        name: .customLong("jwks-refresh-cooldown"),
        help: "Seconds between refetches of a trusted issuer's JWKS on unknown keys (COUNTERSIGN_JWKS_REFRESH_COOLDOWN, default 30).")
    var jwksRefreshCooldown: String?
    @Flag(
        name: .customLong("allow-private-callbacks"),
        help: "Let CIBA notifications reach loopback and private-network addresses (COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS; off by default).")
    var allowPrivateCallbacks = false

    func run() async throws {
        let flags = ServerConfiguration.Layer(
            dataDirectory: dataDirectory, host: host, port: port, issuer: issuer, policyPath: policy,
            databaseURL: databaseURL, logLevel: logLevel, jwksRefreshCooldown: jwksRefreshCooldown,
            allowPrivateCallbacks: allowPrivateCallbacks ? "true" : nil)
        let environment = ServerConfiguration.Layer.environment()
        let configPath = config ?? ProcessInfo.processInfo.environment["COUNTERSIGN_CONFIG"]
        let file = try configPath.map(ServerConfiguration.Layer.file) ?? ServerConfiguration.Layer()
        let configuration = try ServerConfiguration.resolve([flags, environment, file])
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StandardErrorLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "countersign")
        logger.logLevel = level
        try await CountersignServerApp.run(configuration: configuration, logger: logger) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
