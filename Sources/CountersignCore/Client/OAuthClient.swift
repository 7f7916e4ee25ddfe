/// A registered OAuth client (RFC 6749 §2): who it is, how it authenticates, and what it may ask for.
/// A client created with resources is also a resource server for those audiences.
public struct OAuthClient: Sendable, Equatable {
    /// The `client_id` (RFC 6749 §2.2), printable ASCII (`ClientRegistration`).
    public var id: String
    /// Keyed hash of the client secret (see `ClientSecret`); nil for a public client.
    public var secretHash: [UInt8]?
    /// The grant types the client may use.
    public var grantTypes: [GrantType]
    /// The scopes the client may request, and what it gets when it names none.
    public var scopes: [String]
    /// Registered redirect URIs (RFC 6749 §3.1.2), kept for registration; no endpoint here redirects.
    public var redirectURIs: [String]
    /// Audiences this client serves as a resource server (RFC 8707); it may introspect their tokens.
    public var resources: [String]
    /// The CIBA token delivery mode (CIBA §5): `poll`, `ping` or `push`; nil for poll.
    public var cibaMode: String?
    /// The `client_notification_endpoint` for ping and push (CIBA §10).
    public var notificationEndpoint: String?
    /// The client's JWKS URL, kept as registered.
    public var jwksURI: String?
    /// The longest lifetime, in seconds, of a token issued to this client, whatever a policy
    /// rule's TTL says; nil: the server's limits only.
    public var maxTokenLifetime: Int64?
    /// Trusted to assert who its users are: its CIBA requests (OpenID CIBA Core §7.1) need no
    /// confirmation from the user a hint names. Off unless an operator turns it on; each use
    /// is audited (`ciba.user_asserted`).
    public var assertsUsers: Bool
    /// The secret a rotation replaced (keyed hash), still accepted until `previousSecretValidUntil`.
    public var previousSecretHash: [UInt8]?
    /// The end of the rotation's grace period.
    public var previousSecretValidUntil: Instant?
    /// When the client was registered.
    public var createdAt: Instant

    /// A client as `client create` registers it or the store reads it back.
    public init(
        id: String, secretHash: [UInt8]?, grantTypes: [GrantType], scopes: [String],
        redirectURIs: [String] = [], resources: [String] = [], cibaMode: String? = nil,
        notificationEndpoint: String? = nil, jwksURI: String? = nil, maxTokenLifetime: Int64? = nil,
        assertsUsers: Bool = false, previousSecretHash: [UInt8]? = nil, previousSecretValidUntil: Instant? = nil, createdAt: Instant
    ) {
        self.id = id
        self.secretHash = secretHash
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.redirectURIs = redirectURIs
        self.resources = resources
        self.cibaMode = cibaMode
        self.notificationEndpoint = notificationEndpoint
        self.jwksURI = jwksURI
        self.maxTokenLifetime = maxTokenLifetime
        self.assertsUsers = assertsUsers
        self.previousSecretHash = previousSecretHash
        self.previousSecretValidUntil = previousSecretValidUntil
        self.createdAt = createdAt
    }

    /// A public client has no secret (RFC 6749 §2.1).
    public var isPublic: Bool { secretHash == nil }

    /// Whether the client is registered for `grantType` (RFC 6749 §5.2 `unauthorized_client` if not).
    public func allows(_ grantType: GrantType) -> Bool { grantTypes.contains(grantType) }

    /// The longest grace period of a secret rotation: a week, in seconds.
    public static let maxSecretGrace: Int64 = 7 * 24 * 3600

    /// The accepted range of `maxTokenLifetime`: a minute up to the longest token the server issues.
    public static let maxTokenLifetimeRange: ClosedRange<Int64> = 60...3600

    /// `seconds`, or this client's maximum token lifetime when that is shorter.
    public func cappedLifetime(_ seconds: Int64) -> Int64 {
        maxTokenLifetime.map { min(seconds, $0) } ?? seconds
    }

    /// The facts about a client that an audit event records (never its secret).
    public var auditData: [String: JSONValue] {
        var data: [String: JSONValue] = [
            "client_id": .string(id),
            "public": .bool(isPublic),
            "grant_types": .array(grantTypes.map { .string($0.rawValue) }),
            "scope": .string(scopes.joined(separator: " ")),
            "redirect_uris": .array(redirectURIs.map(JSONValue.string)),
            "resources": .array(resources.map(JSONValue.string)),
        ]
        if let maxTokenLifetime { data["max_token_lifetime"] = .number(JSONNumber(maxTokenLifetime)) }
        if assertsUsers { data["asserts_users"] = .bool(true) }
        return data
    }
}

/// A grant type by its standard name (RFC 6749 §4, RFC 8693, CIBA).
public struct GrantType: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    /// The grant type's name as it appears in `grant_type` (RFC 6749 §4).
    public let rawValue: String
    /// A grant type by its name, served or not.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The name, as messages show it.
    public var description: String { rawValue }

    /// RFC 6749 §4.4.
    public static let clientCredentials = GrantType(rawValue: "client_credentials")
    /// RFC 6749 §4.1; registered, never served.
    public static let authorizationCode = GrantType(rawValue: "authorization_code")
    /// RFC 6749 §6; registered, never served.
    public static let refreshToken = GrantType(rawValue: "refresh_token")
    /// RFC 8693 §2.1.
    public static let tokenExchange = GrantType(rawValue: "urn:ietf:params:oauth:grant-type:token-exchange")
    /// OpenID CIBA Core §10.1.
    public static let ciba = GrantType(rawValue: "urn:openid:params:grant-type:ciba")

    /// Every grant type a client may be registered for.
    public static let known: [GrantType] = [.clientCredentials, .authorizationCode, .refreshToken, .tokenExchange, .ciba]

    /// The short names of the grant types whose standard names are URNs.
    static let aliases: [(alias: String, grantType: GrantType)] = [("token-exchange", .tokenExchange), ("ciba", .ciba)]

    /// Accepts the standard name or a short alias (`token-exchange`, `ciba`).
    public init?(name: String) {
        guard let known = Self.aliases.first(where: { $0.alias == name })?.grantType ?? Self.known.first(where: { $0.rawValue == name })
        else { return nil }
        self = known
    }

    /// The short alias where there is one (`token-exchange`, `ciba`), else the standard name.
    public var shortName: String { Self.aliases.first { $0.grantType == self }?.alias ?? rawValue }
}
