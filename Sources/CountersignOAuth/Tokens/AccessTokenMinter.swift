import CountersignCore
import CountersignStore

/// Signs access tokens and records each issuance in the audit chain before it is handed out.
public struct AccessTokenMinter: Sendable {
    public let issuer: String
    let keys: SigningKeyRing
    let audit: any AuditLog
    let clock: @Sendable () -> Int64

    public init(issuer: String, keys: SigningKeyRing, audit: any AuditLog, clock: @escaping @Sendable () -> Int64) {
        self.issuer = issuer
        self.keys = keys
        self.audit = audit
        self.clock = clock
    }

    /// A freshly minted token and its RFC 6749 §5.1 response.
    public struct Issued: Sendable {
        public let token: String
        public let claims: AccessTokenClaims

        public var response: OAuthResponse {
            var members: [(String, JSONValue)] = [
                ("access_token", .string(token)), ("token_type", "Bearer"),
                ("expires_in", .number(JSONNumber(claims.exp - claims.iat))),
            ]
            if let scope = claims.scope { members.append(("scope", .string(scope))) }
            return .json(JSONWriter.object(members), headers: [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
        }
    }

    func mint(
        subject: String, audience: String, clientID: String, scopes: [String], lifetime: Int64,
        grantType: GrantType, remoteAddress: String?
    ) async throws(OAuthError) -> Issued {
        let now = clock() / 1000
        let claims = AccessTokenClaims(
            iss: issuer, sub: subject, aud: audience, clientID: clientID,
            scope: scopes.isEmpty ? nil : scopes.joined(separator: " "), iat: now,
            exp: now + min(lifetime, AccessTokenLifetime.maximum), jti: TokenID.generate())
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
            ])
        do {
            try await audit.append([record])
        } catch {
            throw OAuthError.unavailable(detail: "audit append failed: \(error)")
        }
        return Issued(token: token, claims: claims)
    }
}
