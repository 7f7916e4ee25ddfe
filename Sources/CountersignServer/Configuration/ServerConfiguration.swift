import Foundation
import Logging

/// The settings of `countersign serve`, resolved (README, "Configuration"). Each property is
/// one row of the settings table (`ServerSetting`), which gives its flag, environment variable,
/// config-file key, bounds and documentation; the value here is its default.
public struct ServerConfiguration: Sendable, Equatable {
    /// `data_dir`: where the database, server key and policy live.
    public var dataDirectory: String = "./countersign-data"
    /// `host`: the address to listen on.
    public var host: String = "127.0.0.1"
    /// `port`: 0 picks any free port.
    public var port: Int = 8080
    /// `issuer`: nil means `http://HOST:PORT`.
    public var issuer: String?
    /// `policy`: nil means `DATA_DIR/policy.yaml`.
    public var policyPath: String?
    /// `database_url`: nil means SQLite in the data directory.
    public var databaseURL: String?
    /// `log_level`.
    public var logLevel: Logger.Level = .info
    /// `jwks_refresh_cooldown`: seconds between two fetches of one trusted issuer's JWKS.
    public var jwksRefreshCooldown: Int = 30
    /// `allow_private_callbacks`: whether CIBA notifications and webhooks may reach loopback or
    /// private-network addresses.
    public var allowPrivateCallbacks = false
    /// `body_timeout`: seconds a request body may take to arrive after its head.
    public var bodyTimeout: Int = 10
    /// `sse_heartbeat`: seconds between keep-alive comments on an approver's event stream.
    public var sseHeartbeat: Int = 15

    /// Every setting at its default.
    public init() {}

    /// Resolves the layers, highest precedence first (flags, environment, file): each setting
    /// takes its value from the first layer that has one, else keeps its default, and is
    /// checked in the table's order, so the first bad setting is the one reported.
    public static func resolve(_ layers: [Layer]) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        for setting in ServerSetting.allCases {
            if let text = layers.lazy.compactMap({ $0[setting] }).first {
                try setting.store(text, in: &configuration)
            }
        }
        return configuration
    }

    /// The issuer, given the port actually bound.
    public func effectiveIssuer(boundPort: Int) -> String {
        issuer ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort)"
    }

    /// The policy file: the one configured, else `DATA_DIR/policy.yaml` (README, "Configuration").
    public var effectivePolicyPath: String {
        policyPath ?? URL(fileURLWithPath: dataDirectory).appendingPathComponent("policy.yaml").path
    }
}

/// A configuration that cannot be used, with what to change.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to change, as `serve` prints it.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
