import CountersignCore
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

    /// The claims as ordered JSON members, for signing.
    var jsonMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("iss", .string(iss)), ("sub", .string(sub)), ("aud", .string(aud)), ("client_id", .string(client_id)),
        ]
        if let scope { members.append(("scope", .string(scope))) }
        members += [("iat", .number(JSONNumber(iat))), ("exp", .number(JSONNumber(exp))), ("jti", .string(jti))]
        return members
    }

    /// Time checks are done by `AccessTokenVerifier` against its own clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Token identifiers: 128 random bits, base64url.
enum TokenID {
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var words = (rng.next() as UInt64, rng.next() as UInt64)
        return withUnsafeBytes(of: &words) { Base64URL.encode($0) }
    }
}
