import Foundation

/// Every setting of `countersign serve` (README, "Configuration"), in the order of the README's
/// table, of `serve --help` and of the config file's known settings. Each one is declared once,
/// in `definition`: its flag, environment variable, config-file key, kind of value (type,
/// bounds, default) and one line of documentation. Parsing of every layer, the precedence
/// (`ServerConfiguration.resolve`), the refusals, the help and the README's table follow from it.
public enum ServerSetting: CaseIterable, Sendable {
    case dataDirectory, host, port, issuer, policy, databaseURL, logLevel, jwksRefreshCooldown, allowPrivateCallbacks
    case bodyTimeout, sseHeartbeat

    /// One row of the settings table.
    struct Definition: Sendable {
        /// The long flag without its dashes, `data-dir`.
        let flag: String
        /// What the flag's value is called in the README, `DIR`; nil for a switch.
        let argument: String?
        let environmentVariable: String
        let fileKey: String
        let value: SettingValue
        /// One line of documentation, in Markdown.
        let summary: String
        /// How a refusal names the setting; by default its file key with spaces.
        var name: String?
    }

    /// The settings table.
    var definition: Definition {
        switch self {
        case .dataDirectory:
            Definition(
                flag: "data-dir", argument: "DIR", environmentVariable: "COUNTERSIGN_DATA_DIR", fileKey: "data_dir",
                value: .text(\.dataDirectory), summary: "Data directory: the database, the server key and the policy")
        case .host:
            Definition(
                flag: "host", argument: "H", environmentVariable: "COUNTERSIGN_HOST", fileKey: "host",
                value: .text(\.host), summary: "Address to listen on")
        case .port:
            Definition(
                flag: "port", argument: "N", environmentVariable: "COUNTERSIGN_PORT", fileKey: "port",
                value: .integer(\.port, "a number", in: 0...65535), summary: "Port to listen on, 0 for any free port")
        case .issuer:
            Definition(
                flag: "issuer", argument: "URL", environmentVariable: "COUNTERSIGN_ISSUER", fileKey: "issuer",
                value: .optionalText(
                    \.issuer, unset: "`http://HOST:PORT`",
                    requirement: "an http(s) URL without query, fragment or trailing slash", accepts: { Self.isIssuer($0) }),
                summary: "Issuer URL, in every token and in discovery")
        case .policy:
            Definition(
                flag: "policy", argument: "FILE", environmentVariable: "COUNTERSIGN_POLICY", fileKey: "policy",
                value: .optionalText(\.policyPath, unset: "`DATA_DIR/policy.yaml`"),
                summary: "Policy file; the default one is written from the bundled example on first run")
        case .databaseURL:
            Definition(
                flag: "database-url", argument: "URL", environmentVariable: "COUNTERSIGN_DATABASE_URL",
                fileKey: "database_url",
                value: .optionalText(
                    \.databaseURL, unset: "SQLite at `DATA_DIR/countersign.sqlite`", requirement: "a postgres:// URL",
                    accepts: { $0.hasPrefix("postgres://") || $0.hasPrefix("postgresql://") },
                    // The URL may hold a password: the refusal does not repeat it.
                    refusal: { _ in SettingValue.Refusal(predicate: "must start with postgres:// (got a different scheme)") }),
                summary: "PostgreSQL database; accepted, but refused at start: not implemented yet", name: "database URL")
        case .logLevel:
            Definition(
                flag: "log-level", argument: "L", environmentVariable: "COUNTERSIGN_LOG_LEVEL", fileKey: "log_level",
                value: .choice(\.logLevel), summary: "Log level")
        case .jwksRefreshCooldown:
            Definition(
                flag: "jwks-refresh-cooldown", argument: "S", environmentVariable: "COUNTERSIGN_JWKS_REFRESH_COOLDOWN",
                fileKey: "jwks_refresh_cooldown", value: .integer(\.jwksRefreshCooldown, "seconds", in: 0...86_400),
                summary: "Seconds between two fetches of a trusted issuer's JWKS when tokens name keys it does not know")
        case .allowPrivateCallbacks:
            Definition(
                flag: "allow-private-callbacks", argument: nil, environmentVariable: "COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS",
                fileKey: "allow_private_callbacks", value: .boolean(\.allowPrivateCallbacks),
                summary: "Let CIBA pings and pushes and webhooks reach loopback and private-network addresses (a development machine)")
        case .bodyTimeout:
            Definition(
                flag: "body-timeout", argument: "S", environmentVariable: "COUNTERSIGN_BODY_TIMEOUT", fileKey: "body_timeout",
                value: .integer(\.bodyTimeout, "seconds", in: 1...300),
                summary:
                    "Seconds a request body may take to arrive after its head; a slower one, dripping or stopped, is answered 408 `invalid_request` and its connection closed"
            )
        case .sseHeartbeat:
            Definition(
                flag: "sse-heartbeat", argument: "S", environmentVariable: "COUNTERSIGN_SSE_HEARTBEAT", fileKey: "sse_heartbeat",
                value: .integer(\.sseHeartbeat, "seconds", in: 1...300),
                summary:
                    "Seconds between keep-alive comments on an approver's event stream (`/api/v1/events`), and between checks that its listener may still listen",
                name: "SSE heartbeat")
        }
    }

    /// An issuer is an http(s) URL with a host and without query, fragment or trailing slash
    /// (RFC 8414 §2).
    static func isIssuer(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme else { return false }
        return ["http", "https"].contains(scheme) && url.host != nil && url.query == nil && url.fragment == nil
            && !text.hasSuffix("/")
    }

    /// The setting a config file names with `fileKey`, if any.
    public init?(fileKey: String) {
        guard let setting = Self.allCases.first(where: { $0.fileKey == fileKey }) else { return nil }
        self = setting
    }

    /// The long flag without its dashes, such as `data-dir` (README, "Configuration").
    public var flag: String { definition.flag }
    /// The environment variable, such as `COUNTERSIGN_DATA_DIR` (README, "Configuration").
    public var environmentVariable: String { definition.environmentVariable }
    /// The key in the config file, such as `data_dir` (README, "Configuration").
    public var fileKey: String { definition.fileKey }
    /// Whether the flag takes no value and means true, as `--allow-private-callbacks` (README, "Configuration").
    public var isSwitch: Bool { definition.value.isSwitch }

    /// Checks `text` and stores it in `configuration`, or throws a `ConfigurationError` that
    /// names the setting, says what it must be, and (mostly) quotes the text.
    func store(_ text: String, in configuration: inout ServerConfiguration) throws {
        do {
            try definition.value.store(text, &configuration)
        } catch let refusal as SettingValue.Refusal {
            let name = definition.name ?? fileKey.replacingOccurrences(of: "_", with: " ")
            throw ConfigurationError("\(name) \(refusal.predicate)")
        }
    }
}
