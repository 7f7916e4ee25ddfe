import CountersignCore
import Logging

/// A subject (or actor) vouched for by a trusted issuer's token.
public struct VerifiedSubject: Sendable {
    /// The trusted issuer that signed the token.
    public let issuer: TrustedIssuer
    /// The token's `sub`.
    public let sub: String
    /// The token's claims as sent.
    public let claims: [String: JSONValue]
    /// The claims policies read (`TrustedIssuer.subjectClaims`).
    public let policyClaims: [String: PolicyValue]
    /// The token's `acr` (OpenID Connect Core §2), when it has one.
    public let acr: String?
    /// The token's `auth_time`, when it has one.
    public let authTime: Int64?

    /// The person the token names, as approvers are compared with them: its issuer, `sub` and
    /// the name claims policies read.
    public var identity: PersonIdentity {
        PersonIdentity(issuer: issuer.issuer, sub: sub, claims: policyClaims)
    }
}

/// Verifies a JWT from a trusted issuer (RFC 8693 `subject_token`/`actor_token`, CIBA
/// `login_hint_token`/`id_token_hint`), refusing before any signature work whatever is unusual:
/// not three base64url segments, a header or payload that is not a strict JSON object, `crit`,
/// an `alg` outside the issuer's list or other than its key's pinned one (so never `none` or
/// HMAC, RFC 8725 §3.1), a key from the token itself (`jwk`/`jku`/`x5u`/`x5c` are never read),
/// an untrusted `iss`, a token of our own. Then the signature with the issuer's cached key, and
/// `exp` (required), `nbf`, `iat` and `auth_time` (never in the future: a step-up's `max_age`
/// reads it) as integers with a minute of skew, `aud` containing the
/// issuer's audience, a `sub`. Every refusal is 400 `invalid_request` naming the parameter
/// (RFC 8693 §2.2.2); keys that cannot be fetched are 503 `temporarily_unavailable`.
/// A token accepted once is kept in a `VerifiedTokenCache`; presented again, only what can
/// change for the same bytes is checked again (`stillValid`).
public struct SubjectTokenVerifier: Sendable {
    /// The longest token accepted, in bytes, before any parsing.
    public static let maxLength = 16 * 1024
    static let clockSkew: Int64 = 60
    /// 9999-12-31T23:59:59Z: a time claim beyond it is malformed.
    static let maxTime: Int64 = 253_402_300_799
    /// Algorithms that are never acceptable for a token from another party.
    static let refusedAlgorithms: Set<String> = ["none", "HS256", "HS384", "HS512"]

    let issuers: IssuerDirectory
    let keys: IssuerKeyCache
    let ownIssuer: String
    let clock: any WallClock
    let verified: VerifiedTokenCache

    /// A verifier over the trusted issuers and their keys; tokens of `ownIssuer` are refused.
    public init(issuers: IssuerDirectory, keys: IssuerKeyCache, ownIssuer: String, clock: any WallClock) {
        self.init(issuers: issuers, keys: keys, ownIssuer: ownIssuer, clock: clock, verified: VerifiedTokenCache())
    }

    init(
        issuers: IssuerDirectory, keys: IssuerKeyCache, ownIssuer: String, clock: any WallClock,
        verified: VerifiedTokenCache
    ) {
        self.issuers = issuers
        self.keys = keys
        self.ownIssuer = ownIssuer
        self.clock = clock
        self.verified = verified
    }

    /// The subject of `token`, or 400 `invalid_request` naming `parameter` and the problem.
    public func verify(_ token: String, parameter: String) async throws(OAuthError) -> VerifiedSubject {
        let digest = VerifiedTokenCache.digest(token)
        if let digest, let entry = verified.entry(digest), let subject = await stillValid(entry) { return subject }
        let entry = try await verifyInFull(token, parameter: parameter)
        if let digest { verified.insert(digest, entry) }
        return entry.subject
    }

    /// A token accepted before, if it still would be: its issuer still trusted with the same
    /// settings (audience, algorithms, claim mappings), the very key that verified it still
    /// published under its `kid`, and then, as `verifyInFull` does after its key lookup, `exp`
    /// against the clock and none of `nbf`, `iat`, `auth_time` beyond it (a clock set back
    /// counts). Nil sends the token through `verifyInFull`, which says what is wrong.
    func stillValid(_ entry: VerifiedTokenCache.Entry) async -> VerifiedSubject? {
        guard let issuer = await issuers.issuer(entry.subject.issuer.issuer), issuer == entry.subject.issuer,
            case .key(let key) = await keys.key(issuer: issuer, kid: entry.kid, alg: entry.algorithm),
            key.algorithm == entry.algorithm, key.material == entry.keyMaterial
        else { return nil }
        let now = clock.now().secondsSince1970
        guard entry.expiresAt > now - Self.clockSkew, (entry.latestStart ?? .min) <= now + Self.clockSkew else { return nil }
        return entry.subject
    }

    func verifyInFull(_ token: String, parameter: String) async throws(OAuthError) -> VerifiedTokenCache.Entry {
        func refuse(_ why: String, detail: String? = nil) -> OAuthError {
            OAuthError.invalidRequest("\(parameter) \(why)", detail: detail)
        }
        let jws: CompactJWS
        do { jws = try CompactJWS(token, maxLength: Self.maxLength) } catch {
            switch error {
            case .tooLong: throw refuse("is longer than \(Self.maxLength) bytes")
            case .notThreeParts: throw refuse("is not a signed JWT (compact JWS with three parts)")
            case .notBase64URL: throw refuse("is not base64url encoded")
            case .headerNotObject: throw refuse("has a header that is not a JSON object (or repeats a member)")
            case .claimsNotObject: throw refuse("has claims that are not a JSON object (or repeat a member)")
            }
        }
        let header = jws.header
        let claims = jws.claims
        guard let alg = header["alg"]?.stringValue else { throw refuse("has no alg") }
        guard !Self.refusedAlgorithms.contains(alg), !alg.lowercased().hasPrefix("hs"), alg.lowercased() != "none" else {
            throw refuse("is signed with \(alg), which is never accepted")
        }
        guard header["crit"] == nil else { throw refuse("has a crit header, which is not supported") }
        guard header["enc"] == nil, header["zip"] == nil else { throw refuse("is encrypted or compressed (JWE is not accepted)") }
        guard let iss = claims["iss"]?.stringValue else { throw refuse("has no iss") }
        guard iss != ownIssuer else { throw refuse("was issued by this server; present the token of the subject's identity provider") }
        guard let issuer = await issuers.issuer(iss) else {
            throw refuse("was issued by an issuer this server does not trust", detail: "untrusted iss \(iss.prefix(200))")
        }
        guard issuer.algorithms.contains(alg) else { throw refuse("is signed with \(alg), which is not allowed for its issuer") }
        let kid: String?
        switch header["kid"] {
        case nil: kid = nil
        case .string(let s)? where s.utf8.count <= 256: kid = s
        default: throw refuse("has a kid that is not a short string")
        }
        let key: IssuerKey
        switch await keys.key(issuer: issuer, kid: kid, alg: alg) {
        case .key(let found): key = found
        case .unknownKey: throw refuse("is signed with a key its issuer does not publish")
        case .unavailable(let why):
            throw OAuthError(
                .temporarilyUnavailable, "the keys of the \(parameter) issuer cannot be fetched right now; try again later",
                status: 503, detail: why)
        }
        guard key.algorithm == alg else { throw refuse("is signed with \(alg), but its key is for \(key.algorithm)") }
        guard key.isValidSignature(jws.signature, for: jws.signingInput) else { throw refuse("has an invalid signature") }

        let now = clock.now().secondsSince1970
        var latestStart: Int64?
        guard let exp = Self.time(claims["exp"]) else { throw refuse("has no exp, or exp is not an integer time") }
        guard exp > now - Self.clockSkew else { throw refuse("has expired") }
        if let nbfValue = claims["nbf"] {
            guard let nbf = Self.time(nbfValue) else { throw refuse("has an nbf that is not an integer time") }
            guard nbf <= now + Self.clockSkew else { throw refuse("is not valid yet (nbf is in the future)") }
            latestStart = max(latestStart ?? nbf, nbf)
        }
        if let iatValue = claims["iat"] {
            guard let iat = Self.time(iatValue) else { throw refuse("has an iat that is not an integer time") }
            guard iat <= now + Self.clockSkew else { throw refuse("was issued in the future (iat)") }
            latestStart = max(latestStart ?? iat, iat)
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let s)?: audiences = [s]
        case .array(let items)?: audiences = items.compactMap(\.stringValue)
        default: throw refuse("has no aud")
        }
        guard audiences.contains(issuer.audience) else {
            throw refuse("is not meant for this server (aud does not contain \(issuer.audience))")
        }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty, sub.utf8.count <= 255 else {
            throw refuse("has no sub (or one longer than 255 bytes)")
        }
        var authTime: Int64?
        if let value = claims["auth_time"] {
            guard let t = Self.time(value) else { throw refuse("has an auth_time that is not an integer time") }
            // A future auth_time would make the authentication look fresh for any max_age, for as
            // long as the clock has not caught up with it.
            guard t <= now + Self.clockSkew else { throw refuse("has an auth_time in the future") }
            authTime = t
            latestStart = max(latestStart ?? t, t)
        }
        let subject = VerifiedSubject(
            issuer: issuer, sub: sub, claims: claims, policyClaims: issuer.subjectClaims(from: claims),
            acr: claims["acr"]?.stringValue, authTime: authTime)
        return VerifiedTokenCache.Entry(
            subject: subject, kid: kid, algorithm: alg, keyMaterial: key.material, expiresAt: exp, latestStart: latestStart,
            cost: VerifiedTokenCache.cost(tokenBytes: token.utf8.count, claims: claims))
    }

    /// A NumericDate (RFC 7519 §2) as this server takes it: an integer from 0 to year 9999.
    static func time(_ value: JSONValue?) -> Int64? {
        guard let t = value?.int64Value, t >= 0, t <= maxTime else { return nil }
        return t
    }
}
