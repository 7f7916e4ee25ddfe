import CountersignCore
import Logging

/// `POST /revoke` (RFC 7009). The caller authenticates; a token that is not ours, malformed or
/// expired is answered 200 like a success (§2.2); a token issued to another client is refused
/// and left untouched; a revocation is durable, with its `token.revoked` event, before the 200.
public struct RevocationEndpoint: Sendable {
    let authenticator: ClientAuthenticator
    let logger: Logger
    let verifier: AccessTokenVerifier
    let revocations: RevocationList

    /// The endpoint, revoking into `revocations` (written through to the store).
    public init(authenticator: ClientAuthenticator, logger: Logger, verifier: AccessTokenVerifier, revocations: RevocationList) {
        self.authenticator = authenticator
        self.logger = logger
        self.verifier = verifier
        self.revocations = revocations
    }

    /// RFC 7009 §2.1 hints we understand; any other is `unsupported_token_type` (§2.2.1).
    static let knownHints: Set<String> = ["access_token", "refresh_token"]

    /// Answers one revocation request (RFC 7009 §2.2): 200 also for a token it does not know.
    public func handle(_ request: OAuthRequest) async -> OAuthResponse {
        await OAuthError.rendering(endpoint: "revoke", logger: logger) { () async throws(OAuthError) in
            try await respond(request)
        }
    }

    func respond(_ request: OAuthRequest) async throws(OAuthError) -> OAuthResponse {
        try RequestChecks.requirePOST(request)
        let params = try RequestChecks.formParameters(request)
        let (caller, _) = try await authenticator.authenticate(request, params)
        guard let token = params["token"] else { throw .invalidRequest("token is required") }
        if let hint = params["token_type_hint"], !Self.knownHints.contains(hint) {
            throw OAuthError(.unsupportedTokenType, "token_type_hint must be access_token or refresh_token")
        }
        let done = OAuthResponse(status: 200, headers: [("Cache-Control", "no-store")], body: [])
        guard let claims = try? verifier.verify(token) else { return done }
        guard claims.client_id == caller.id else {
            throw .invalidRequest("this token was not issued to the authenticated client")
        }
        let record = AuditRecord(
            type: "token.revoked", actor: "client:\(caller.id)",
            data: ["jti": .string(claims.jti), "client_id": .string(claims.client_id), "exp": .number(JSONNumber(claims.exp))])
        do {
            try await revocations.revoke(
                jti: claims.jti, clientID: claims.client_id, expiresAt: claims.expiresAt, audit: record)
        } catch {
            throw OAuthError.unavailable(detail: "revocation failed: \(error)")
        }
        return done
    }
}
