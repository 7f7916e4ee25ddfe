import CountersignCore
import CountersignStore

/// Signs access tokens and records each issuance in the audit chain before it is handed out.
public struct AccessTokenMinter: Sendable {
    /// The issuer every token names.
    public let issuer: String
    let keys: SigningKeyRing
    let audit: any AuditLog
    let clock: any WallClock

    /// A minter signing with `keys` and recording in `audit`.
    public init(issuer: String, keys: SigningKeyRing, audit: any AuditLog, clock: any WallClock) {
        self.issuer = issuer
        self.keys = keys
        self.audit = audit
        self.clock = clock
    }

    /// A freshly minted token and its RFC 6749 §5.1 response.
    public struct Issued: Sendable {
        /// The compact JWS.
        public let token: String
        /// What it says.
        public let claims: AccessTokenClaims
        /// RFC 8693 §2.2.1 `issued_token_type`, for a token exchange.
        public var issuedTokenType: String?

        /// The members of the token response (also of a CIBA push, CIBA §10.3.1).
        public var members: [(String, JSONValue)] {
            var members: [(String, JSONValue)] = [("access_token", .string(token))]
            if let issuedTokenType { members.append(("issued_token_type", .string(issuedTokenType))) }
            members += [("token_type", "Bearer"), ("expires_in", .number(JSONNumber(claims.exp - claims.iat)))]
            if let scope = claims.scope { members.append(("scope", .string(scope))) }
            if let details = claims.authorizationDetails { members.append(("authorization_details", details)) }
            return members
        }

        /// The token response with `Cache-Control: no-store` (RFC 6749 §5.1).
        public var response: OAuthResponse {
            .json(JSONWriter.object(members), headers: [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
        }
    }

    /// What an action token carries beyond an ordinary access token.
    struct ActionTerms: Sendable {
        var authorizationDetails: JSONValue
        var acr: String?
        var authTime: Int64?
        var act: JSONValue?
        var oneTime: Bool
        var approval: JSONValue? = nil
        /// The decision's audit events, appended in the same transaction as `token.issued`.
        var audit: [AuditRecord]
    }

    func mint(
        subject: String, audience: String, clientID: String, scopes: [String], lifetime: Int64,
        grantType: GrantType, remoteAddress: String?, action: ActionTerms? = nil
    ) async throws(OAuthError) -> Issued {
        let (issued, record) = try sign(
            subject: subject, audience: audience, clientID: clientID, scopes: scopes, lifetime: lifetime,
            grantType: grantType, remoteAddress: remoteAddress, now: clock.now(), action: action)
        do {
            try await audit.append((action?.audit ?? []) + [record])
        } catch {
            throw OAuthError.unavailable(detail: "audit append failed: \(error)")
        }
        return issued
    }

    /// Signs a token and returns it with its `token.issued` record, without handing it out:
    /// for a caller that commits the record together with its own state change (redeeming an
    /// approved request), so a token exists only if the change happened. The token is issued
    /// `now` (its `iat`), and expires `lifetime` seconds later at most.
    func sign(
        subject: String, audience: String, clientID: String, scopes: [String], lifetime: Int64,
        grantType: GrantType, remoteAddress: String?, now issuedAt: Instant, action: ActionTerms? = nil
    ) throws(OAuthError) -> (Issued, AuditRecord) {
        let now = issuedAt.secondsSince1970
        let claims = AccessTokenClaims(
            iss: issuer, sub: subject, aud: audience, clientID: clientID,
            scope: scopes.isEmpty ? nil : scopes.joined(separator: " "), iat: now,
            exp: now + min(lifetime, AccessTokenLifetime.maximum), jti: TokenID.generate(),
            authorizationDetails: action?.authorizationDetails, acr: action?.acr, authTime: action?.authTime,
            act: action?.act, oneTime: action?.oneTime ?? false, approval: action?.approval)
        let token: String
        do {
            token = try keys.sign(claims)
        } catch {
            throw OAuthError.serverError(detail: "signing failed: \(error)")
        }
        let record = AuditRecord(
            type: "token.issued", actor: "client:\(clientID)",
            data: [
                "jti": .string(claims.jti), "client_id": .string(clientID), "sub": .string(subject),
                "aud": .string(audience), "scope": .optional(claims.scope), "grant_type": .string(grantType.rawValue),
                "exp": .number(JSONNumber(claims.exp)), "ip": .optional(remoteAddress),
                "one_time": .bool(claims.oneTime),
            ])
        return (Issued(token: token, claims: claims), record)
    }
}
