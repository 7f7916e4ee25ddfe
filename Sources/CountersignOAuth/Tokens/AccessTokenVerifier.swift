import CountersignCore
import Crypto

/// Verifies a JWT access token that claims to be ours, refusing anything unusual before any
/// signature work: exactly three base64url segments (no JWE, no JSON serialization), a header
/// that parses strictly (no duplicate names, RFC 7515 §5.2), `typ: at+jwt` (RFC 9068 §4),
/// `alg` equal to the key's pinned algorithm and never `none` or HMAC (RFC 8725 §3.1), a `kid`
/// we publish (never a `jwk`/`jku`/`x5u`/`x5c` from the token, RFC 8725 §3.10), no `crit`,
/// then the signature, then `iss` and the time claims as integers (`nbf`, when present, a
/// non-negative integer no later than now plus the clock skew: RFC 7519 §4.1.5).
public struct AccessTokenVerifier: Sendable {
    /// Why a token is not acceptable (only logged; the caller answers `active: false`).
    public struct Rejection: Error, Sendable, CustomStringConvertible {
        /// What is wrong with the token, for the log.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Longer tokens are refused without parsing.
    public static let maxLength = 8192

    let keys: SigningKeyRing
    let issuer: String
    let clock: any WallClock

    /// A verifier of tokens this `issuer` signed with `keys`.
    public init(keys: SigningKeyRing, issuer: String, clock: any WallClock) {
        self.keys = keys
        self.issuer = issuer
        self.clock = clock
    }

    /// The token's claims, or why it is not acceptable.
    public func verify(_ token: String) throws(Rejection) -> AccessTokenClaims {
        let jws: CompactJWS
        do { jws = try CompactJWS(token, maxLength: Self.maxLength) } catch {
            throw Rejection("not a strict compact JWS (\(error))")
        }
        let header = jws.header
        guard header["typ"]?.stringValue?.lowercased() == "at+jwt" else { throw Rejection("typ is not at+jwt") }
        guard header["crit"] == nil else { throw Rejection("crit is not supported") }
        guard let kid = header["kid"]?.stringValue, let key = keys.verificationKey(kid: kid) else {
            throw Rejection("unknown kid")
        }
        guard let alg = header["alg"]?.stringValue, alg == key.algorithm else {
            throw Rejection("alg does not match the key's algorithm")
        }
        guard jws.signature.count == 64 else { throw Rejection("ES256 signature must be 64 bytes") }
        // RFC 7518 §3.4: R‖S, each 32 bytes; swift-crypto (BoringSSL) refuses r or s out of range.
        guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: jws.signature),
            key.publicKey.isValidSignature(ecdsa, for: Array(jws.signingInput))
        else { throw Rejection("signature invalid") }
        guard let verified = AccessTokenClaims(json: jws.claims) else {
            throw Rejection("claims missing or of the wrong type (exp and iat must be integers)")
        }
        guard verified.iss == issuer else { throw Rejection("iss is not this issuer") }
        let now = clock.now().secondsSince1970
        guard verified.exp > now else { throw Rejection("expired") }
        guard verified.iat <= now + AccessTokenLifetime.clockSkew else { throw Rejection("issued in the future") }
        if let value = jws.claims["nbf"] {
            guard let nbf = value.int64Value, nbf >= 0 else { throw Rejection("nbf is not a non-negative integer") }
            guard nbf <= now + AccessTokenLifetime.clockSkew else { throw Rejection("not valid yet (nbf)") }
        }
        // We never mint a token that lives longer than the maximum: anything else is not ours.
        guard verified.exp - verified.iat <= AccessTokenLifetime.maximum,
            verified.exp <= now + AccessTokenLifetime.maximum + AccessTokenLifetime.clockSkew
        else { throw Rejection("lifetime longer than any token we issue") }
        return verified
    }
}
