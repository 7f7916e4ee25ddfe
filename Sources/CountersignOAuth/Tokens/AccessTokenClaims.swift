import CountersignCore
import Foundation
import JWTKit

/// The claims of a JWT access token (RFC 9068 §2.2).
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var iss: String
    /// The client id for a client_credentials token (RFC 9068 §2.2: the client is the subject).
    public var sub: String
    public var aud: String
    public var client_id: String
    public var scope: String?
    public var iat: Int64
    public var exp: Int64
    public var jti: String

    public init(iss: String, sub: String, aud: String, clientID: String, scope: String?, iat: Int64, exp: Int64, jti: String) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.client_id = clientID
        self.scope = scope
        self.iat = iat
        self.exp = exp
        self.jti = jti
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
        self.init(iss: iss, sub: sub, aud: aud, clientID: clientID, scope: scope, iat: iat, exp: exp, jti: jti)
    }

    /// The claims as ordered JSON members, for signing.
    var jsonMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("iss", .string(iss)), ("sub", .string(sub)), ("aud", .string(aud)), ("client_id", .string(client_id)),
        ]
        if let scope { members.append(("scope", .string(scope))) }
        members += [("iat", .number(JSONNumber(iat))), ("exp", .number(JSONNumber(exp))), ("jti", .string(jti))]
        return members
    }

    /// For a caller verifying with jwt-kit: the token must not have expired.
    /// (`AccessTokenVerifier` checks this and more against the server's own clock.)
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try ExpirationClaim(value: Date(timeIntervalSince1970: TimeInterval(exp))).verifyNotExpired()
    }
}

/// Token identifiers: 128 random bits, base64url.
enum TokenID {
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var words = (rng.next() as UInt64, rng.next() as UInt64)
        return withUnsafeBytes(of: &words) { Base64URL.encode($0) }
    }
}
