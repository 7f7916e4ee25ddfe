import CountersignCore

/// The claims of a JWT access token (RFC 9068 §2.2), with those of an action token: the
/// `authorization_details` it was decided for (RFC 9396 §9.1), the `acr`/`auth_time` the
/// decision saw (RFC 9068 §2.2.1), the `act` actor of a token exchange (RFC 8693 §4.1), and
/// `one_time` when the first introspection by a resource server of its audience spends it.
public struct AccessTokenClaims: Sendable, Equatable {
    /// The issuer (RFC 9068 §2.2).
    public var iss: String
    /// The client id for a client_credentials token (RFC 9068 §2.2: the client is the subject),
    /// the user's `sub` at their identity provider for a token exchange.
    public var sub: String
    /// The audience: the resource server it is for (RFC 8707), or the issuer.
    public var aud: String
    /// The client the token was issued to (RFC 9068 §2.2).
    public var client_id: String
    /// The granted scopes, space-separated (RFC 6749 §3.3); nil when none.
    public var scope: String?
    /// Issued at and expiry: JWT NumericDates, seconds since 1970 (RFC 7519 §2, §4.1.4).
    public var iat: Int64
    /// Expiry as a NumericDate (RFC 7519 §4.1.4).
    public var exp: Int64
    /// 128 random bits, base64url: the id revocation and one-time use key on (RFC 7519 §4.1.7).
    public var jti: String
    /// The one action the token is bound to (RFC 9396 §9.1).
    public var authorizationDetails: JSONValue?
    /// The subject's `acr` as the decision saw it (RFC 9068 §2.2.1).
    public var acr: String?
    /// The subject's `auth_time` as the decision saw it (RFC 9068 §2.2.1).
    public var authTime: Int64?
    /// The actor of a token exchange (RFC 8693 §4.1).
    public var act: JSONValue?
    /// Spent by the first introspection by a resource server of its audience (docs/ACTION-TOKENS.md).
    public var oneTime: Bool
    /// Who approved the action, digests of their reasons and when (an approved request).
    public var approval: JSONValue?

    /// When the token expires (`exp`).
    public var expiresAt: Instant { Instant(secondsSince1970: exp) }

    /// Claims as the minter sets them or the verifier reads them back.
    public init(
        iss: String, sub: String, aud: String, clientID: String, scope: String?, iat: Int64, exp: Int64, jti: String,
        authorizationDetails: JSONValue? = nil, acr: String? = nil, authTime: Int64? = nil, act: JSONValue? = nil,
        oneTime: Bool = false, approval: JSONValue? = nil
    ) {
        self.approval = approval
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.client_id = clientID
        self.scope = scope
        self.iat = iat
        self.exp = exp
        self.jti = jti
        self.authorizationDetails = authorizationDetails
        self.acr = acr
        self.authTime = authTime
        self.act = act
        self.oneTime = oneTime
    }

    /// Reads claims strictly: every required claim present with its JSON type, times as integers.
    init?(json c: [String: JSONValue]) {
        guard let iss = c["iss"]?.stringValue, let sub = c["sub"]?.stringValue, let aud = c["aud"]?.stringValue,
            let clientID = c["client_id"]?.stringValue, let iat = c["iat"]?.int64Value,
            let exp = c["exp"]?.int64Value, let jti = c["jti"]?.stringValue
        else { return nil }
        var scope: String?
        if let value = c["scope"] {
            guard let s = value.stringValue else { return nil }
            scope = s
        }
        var acr: String?
        if let value = c["acr"] {
            guard let s = value.stringValue else { return nil }
            acr = s
        }
        var authTime: Int64?
        if let value = c["auth_time"] {
            guard let t = value.int64Value else { return nil }
            authTime = t
        }
        var oneTime = false
        if let value = c["one_time"] {
            guard case .bool(let b) = value else { return nil }
            oneTime = b
        }
        // RFC 9396 §9.1: authorization_details is an array.
        if let details = c["authorization_details"], details.arrayValue == nil { return nil }
        self.init(
            iss: iss, sub: sub, aud: aud, clientID: clientID, scope: scope, iat: iat, exp: exp, jti: jti,
            authorizationDetails: c["authorization_details"], acr: acr, authTime: authTime, act: c["act"], oneTime: oneTime,
            approval: c["approval"])
    }

    /// The claims as ordered JSON members, for signing.
    var jsonMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("iss", .string(iss)), ("sub", .string(sub)), ("aud", .string(aud)), ("client_id", .string(client_id)),
        ]
        if let scope { members.append(("scope", .string(scope))) }
        members += [("iat", .number(JSONNumber(iat))), ("exp", .number(JSONNumber(exp))), ("jti", .string(jti))]
        if let authorizationDetails { members.append(("authorization_details", authorizationDetails)) }
        if let acr { members.append(("acr", .string(acr))) }
        if let authTime { members.append(("auth_time", .number(JSONNumber(authTime)))) }
        if let act { members.append(("act", act)) }
        if oneTime { members.append(("one_time", .bool(true))) }
        if let approval { members.append(("approval", approval)) }
        return members
    }
}

/// Token identifiers: 128 random bits, base64url.
enum TokenID {
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var words = (rng.next() as UInt64, rng.next() as UInt64)
        return withUnsafeBytes(of: &words) { Base64URL.encode($0) }
    }

    /// 160 random bits, base64url: an `auth_req_id` (CIBA §7.3 recommends at least 160).
    static func generateLong() -> String {
        var rng = SystemRandomNumberGenerator()
        var words = (rng.next() as UInt64, rng.next() as UInt64, rng.next() as UInt32)
        return withUnsafeBytes(of: &words) { Base64URL.encode($0.prefix(20)) }
    }
}
