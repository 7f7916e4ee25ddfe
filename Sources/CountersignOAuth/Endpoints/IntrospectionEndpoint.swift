import CountersignCore
import CountersignStore
import Logging

/// `POST /introspect` (RFC 7662). The caller authenticates as a client (§2.1); it learns about a
/// token only when the token was issued to it, or when it is the resource server of the token's
/// audience. Everything else — garbage, expired, revoked, another client's token — is the same
/// `{"active": false}` (§2.2), so the endpoint is no oracle.
///
/// A one-time token is spent by the first introspection that a resource server of its audience
/// makes (README): that answer is active, every later one inactive, decided by one atomic
/// insert in the store, so concurrent introspections (and replicas) get exactly one `true`.
/// The holder's own introspection never spends it.
///
/// Scanning is slowed (RFC 7662 §4): a client that presents more than
/// `scanLimit` tokens a minute that are not ours at all (forged, garbage, signed by a key we do
/// not publish, or expired) gets 429 `temporarily_unavailable` with `Retry-After` for every
/// further such token until the minute passes; tokens that verify are answered as always.
/// Counted per client, so one scanner slows no one else.
public struct IntrospectionEndpoint: Sendable {
    let authenticator: ClientAuthenticator
    let logger: Logger
    let verifier: AccessTokenVerifier
    let revocations: RevocationList
    let directory: ClientDirectory
    let oneTimeTokens: any OneTimeTokenStore
    let scanning: FailedAuthenticationThrottle
    /// Unverifiable tokens one client may present per minute.
    public static let scanLimit = 1_000

    /// The endpoint; `oneTimeTokens` records the spending of one-time tokens.
    public init(
        authenticator: ClientAuthenticator, logger: Logger, verifier: AccessTokenVerifier, revocations: RevocationList,
        oneTimeTokens: any OneTimeTokenStore
    ) {
        self.authenticator = authenticator
        self.logger = logger
        self.verifier = verifier
        self.revocations = revocations
        self.directory = authenticator.directory
        self.oneTimeTokens = oneTimeTokens
        self.scanning = FailedAuthenticationThrottle(limit: Self.scanLimit, window: .seconds(60))
    }

    /// Answers one introspection request (RFC 7662 §2.2); every failure is its own OAuth error.
    public func handle(_ request: OAuthRequest) async -> OAuthResponse {
        await OAuthError.rendering(endpoint: "introspect", logger: logger) { () async throws(OAuthError) in
            try await respond(request)
        }
    }

    static let inactive = OAuthResponse.json(
        JSONWriter.object([("active", .bool(false))]), headers: [("Cache-Control", "no-store")])

    func respond(_ request: OAuthRequest) async throws(OAuthError) -> OAuthResponse {
        try RequestChecks.requirePOST(request)
        let params = try RequestChecks.formParameters(request)
        let (caller, _) = try await authenticator.authenticate(request, params)
        guard let token = params["token"] else { throw .invalidRequest("token is required") }
        guard let claims = try? verifier.verify(token) else {
            // Only the answers for tokens that are not ours are slowed: a token that verifies is
            // always answered, so no one can lock a resource server out by feeding it forgeries.
            if let seconds = scanning.retryAfter(caller.id) {
                throw OAuthError(
                    .temporarilyUnavailable,
                    "too many tokens this server did not issue were presented; retry in \(seconds) seconds",
                    status: 429, detail: "introspection scanning by \(caller.id)", retryAfter: seconds)
            }
            scanning.recordFailure(caller.id)
            return Self.inactive
        }
        guard try await !isRevoked(claims) else { return Self.inactive }
        guard claims.client_id == caller.id || caller.resources.contains(claims.aud) else { return Self.inactive }
        // A deleted client's tokens die with it.
        if claims.client_id != caller.id {
            let owner = try? await directory.client(id: claims.client_id)
            guard owner != nil else { return Self.inactive }
        }
        if claims.oneTime {
            guard try await spend(claims, caller: caller) else { return Self.inactive }
        }
        var members: [(String, JSONValue)] = [("active", .bool(true))]
        if let scope = claims.scope { members.append(("scope", .string(scope))) }
        members += [
            ("client_id", .string(claims.client_id)), ("token_type", "Bearer"),
            ("exp", .number(JSONNumber(claims.exp))), ("iat", .number(JSONNumber(claims.iat))),
            ("sub", .string(claims.sub)), ("aud", .string(claims.aud)), ("iss", .string(claims.iss)),
            ("jti", .string(claims.jti)),
        ]
        if let details = claims.authorizationDetails { members.append(("authorization_details", details)) }
        if let acr = claims.acr { members.append(("acr", .string(acr))) }
        if let authTime = claims.authTime { members.append(("auth_time", .number(JSONNumber(authTime)))) }
        if let act = claims.act { members.append(("act", act)) }
        if claims.oneTime { members.append(("one_time", .bool(true))) }
        return .json(JSONWriter.object(members), headers: [("Cache-Control", "no-store")])
    }

    /// Revoked here or by another process on the same store. A store that
    /// cannot answer is a 503, never an `active: true` for a token that may be revoked.
    func isRevoked(_ claims: AccessTokenClaims) async throws(OAuthError) -> Bool {
        do {
            return try await revocations.isRevoked(claims.jti, expiresAt: claims.expiresAt)
        } catch {
            throw OAuthError.unavailable(detail: "revocation check failed: \(error)")
        }
    }

    /// For a one-time token: true when this introspection may answer active. A resource server
    /// of the audience (other than the holder) spends it; anyone else only learns whether it
    /// is still unspent.
    func spend(_ claims: AccessTokenClaims, caller: OAuthClient) async throws(OAuthError) -> Bool {
        do {
            if caller.id != claims.client_id && caller.resources.contains(claims.aud) {
                let record = AuditRecord(
                    type: "token.consumed", actor: "client:\(caller.id)",
                    data: [
                        "jti": .string(claims.jti), "client_id": .string(claims.client_id), "aud": .string(claims.aud),
                        "consumer": .string(caller.id),
                    ])
                return try await oneTimeTokens.consume(
                    jti: claims.jti, consumer: caller.id, expiresAt: claims.expiresAt, audit: record)
            }
            return try await !oneTimeTokens.isConsumed(jti: claims.jti)
        } catch {
            throw OAuthError.unavailable(detail: "one-time token store failed: \(error)")
        }
    }
}
