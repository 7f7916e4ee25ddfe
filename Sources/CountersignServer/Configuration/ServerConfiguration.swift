import Foundation
import Logging
import Yams

/// Every setting of `countersign serve` (README, "Configuration"). Each is a flag, an
/// environment variable or a key of the optional YAML config file; flag beats variable beats
/// file beats default. An unknown key in the file is an error.
public struct ServerConfiguration: Sendable, Equatable {
    /// `--data-dir`, `COUNTERSIGN_DATA_DIR`, `data_dir`: where the database, server key and policy live.
    public var dataDirectory: String = "./countersign-data"
    /// `--host`, `COUNTERSIGN_HOST`, `host`: the address to listen on.
    public var host: String = "127.0.0.1"
    /// `--port`, `COUNTERSIGN_PORT`, `port`: 0 picks any free port.
    public var port: Int = 8080
    /// `--issuer`, `COUNTERSIGN_ISSUER`, `issuer`: default `http://HOST:PORT`.
    public var issuer: String?
    /// `--policy`, `COUNTERSIGN_POLICY`, `policy`: default `DATA_DIR/policy.yaml`.
    public var policyPath: String?
    /// `--database-url`, `COUNTERSIGN_DATABASE_URL`, `database_url`: unset means SQLite in the data directory.
    public var databaseURL: String?
    /// `--log-level`, `COUNTERSIGN_LOG_LEVEL`, `log_level`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: Logger.Level = .info
    /// `--jwks-refresh-cooldown`, `COUNTERSIGN_JWKS_REFRESH_COOLDOWN`, `jwks_refresh_cooldown`:
    /// seconds between two fetches of one trusted issuer's JWKS when tokens name unknown keys.
    public var jwksRefreshCooldown: Int = 30
    /// `--allow-private-callbacks`, `COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS`, `allow_private_callbacks`:
    /// whether CIBA notifications may go to loopback or private-network addresses (for a
    /// development machine or a client inside the same network); off by default.
    public var allowPrivateCallbacks = false

    public init() {}

    /// One layer of settings: what a flag, the environment or the file says (nil = not said).
    public struct Layer: Sendable, Equatable {
        public var dataDirectory: String?
        public var host: String?
        public var port: String?
        public var issuer: String?
        public var policyPath: String?
        public var databaseURL: String?
        public var logLevel: String?
        public var jwksRefreshCooldown: String?
        public var allowPrivateCallbacks: String?

        public init(
            dataDirectory: String? = nil, host: String? = nil, port: String? = nil, issuer: String? = nil,
            policyPath: String? = nil, databaseURL: String? = nil, logLevel: String? = nil,
            jwksRefreshCooldown: String? = nil, allowPrivateCallbacks: String? = nil
        ) {
            self.allowPrivateCallbacks = allowPrivateCallbacks
            self.jwksRefreshCooldown = jwksRefreshCooldown
            self.dataDirectory = dataDirectory
            self.host = host
            self.port = port
            self.issuer = issuer
            self.policyPath = policyPath
            self.databaseURL = databaseURL
            self.logLevel = logLevel
        }

        /// The `COUNTERSIGN_*` variables.
        public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Layer {
            Layer(
                dataDirectory: env["COUNTERSIGN_DATA_DIR"], host: env["COUNTERSIGN_HOST"], port: env["COUNTERSIGN_PORT"],
                issuer: env["COUNTERSIGN_ISSUER"], policyPath: env["COUNTERSIGN_POLICY"],
                databaseURL: env["COUNTERSIGN_DATABASE_URL"], logLevel: env["COUNTERSIGN_LOG_LEVEL"],
                jwksRefreshCooldown: env["COUNTERSIGN_JWKS_REFRESH_COOLDOWN"],
                allowPrivateCallbacks: env["COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS"])
        }

        static let fileKeys = [
            "data_dir", "host", "port", "issuer", "policy", "database_url", "log_level", "jwks_refresh_cooldown",
            "allow_private_callbacks",
        ]

        /// The keys of a YAML config file; unknown keys and non-scalar values are errors.
        public static func file(_ path: String) throws -> Layer {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("cannot read config file \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("\(path): the config file is not UTF-8")
            }
            let node: Node?
            do {
                node = try Yams.compose(yaml: text)
            } catch let error as YamlError {
                throw ConfigurationError("\(path): \(error)")
            }
            guard let node else { return Layer() }
            guard let mapping = node.mapping else {
                throw ConfigurationError("\(path):1:1: the config file must be a mapping of settings")
            }
            var values: [String: String] = [:]
            for (key, value) in mapping {
                let line = key.mark.map { "\($0.line):\($0.column)" } ?? "1:1"
                guard let name = key.string, fileKeys.contains(name) else {
                    throw ConfigurationError(
                        "\(path):\(line): unknown setting \"\(key.string ?? "?")\"; known settings: \(fileKeys.joined(separator: ", "))")
                }
                guard let scalar = value.scalar else {
                    throw ConfigurationError("\(path):\(line): \(name) must be a single value")
                }
                values[name] = scalar.string
            }
            return Layer(
                dataDirectory: values["data_dir"], host: values["host"], port: values["port"], issuer: values["issuer"],
                policyPath: values["policy"], databaseURL: values["database_url"], logLevel: values["log_level"],
                jwksRefreshCooldown: values["jwks_refresh_cooldown"], allowPrivateCallbacks: values["allow_private_callbacks"])
        }
    }

    /// Resolves the layers, highest precedence first (flags, environment, file).
    public static func resolve(_ layers: [Layer]) throws -> ServerConfiguration {
        func pick<T>(_ path: KeyPath<Layer, T?>) -> T? { layers.lazy.compactMap { $0[keyPath: path] }.first }
        var config = ServerConfiguration()
        if let v = pick(\.dataDirectory) { config.dataDirectory = v }
        if let v = pick(\.host) { config.host = v }
        if let v = pick(\.port) {
            guard let port = Int(v), (0...65535).contains(port) else {
                throw ConfigurationError("port must be a number from 0 to 65535 (got \"\(v)\")")
            }
            config.port = port
        }
        if let v = pick(\.issuer) {
            guard let url = URL(string: v), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                url.query == nil, url.fragment == nil, !v.hasSuffix("/")
            else {
                throw ConfigurationError(
                    "issuer must be an http(s) URL without query, fragment or trailing slash (got \"\(v)\")")
            }
            config.issuer = v
        }
        config.policyPath = pick(\.policyPath)
        if let v = pick(\.databaseURL) {
            guard v.hasPrefix("postgres://") || v.hasPrefix("postgresql://") else {
                throw ConfigurationError("database URL must start with postgres:// (got a different scheme)")
            }
            config.databaseURL = v
        }
        if let v = pick(\.logLevel) {
            guard let level = Logger.Level(rawValue: v) else {
                throw ConfigurationError(
                    "log level must be one of trace, debug, info, notice, warning, error, critical (got \"\(v)\")")
            }
            config.logLevel = level
        }
        if let v = pick(\.jwksRefreshCooldown) {
            guard let seconds = Int(v), (0...86_400).contains(seconds) else {
                throw ConfigurationError("jwks refresh cooldown must be seconds from 0 to 86400 (got \"\(v)\")")
            }
            config.jwksRefreshCooldown = seconds
        }
        if let v = pick(\.allowPrivateCallbacks) {
            switch v.lowercased() {
            case "true", "1", "yes", "on": config.allowPrivateCallbacks = true
            case "false", "0", "no", "off": config.allowPrivateCallbacks = false
            default: throw ConfigurationError("allow private callbacks must be true or false (got \"\(v.prefix(40))\")")
            }
        }
        return config
    }

    /// The issuer, given the port actually bound.
    public func effectiveIssuer(boundPort: Int) -> String {
        issuer ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort)"
    }

    public var effectivePolicyPath: String {
        policyPath ?? URL(fileURLWithPath: dataDirectory).appendingPathComponent("policy.yaml").path
    }
}

/// A configuration that cannot be used, with what to change.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
