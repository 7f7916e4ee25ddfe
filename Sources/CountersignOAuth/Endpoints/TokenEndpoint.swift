import CountersignCore
import Logging

/// `POST /token` (RFC 6749 §3.2). The steps, in order:
/// 1. POST only; 2. form-encoded body, strictly parsed; 3. `grant_type` present;
/// 4. client authenticated (exactly one method); 5. grant type known (`unsupported_grant_type`);
/// 6. grant type registered for this client (`unauthorized_client`); 7. the grant's own checks.
public struct TokenEndpoint: Sendable {
    let authenticator: ClientAuthenticator
    let logger: Logger
    let grants: [GrantType: any GrantHandler]

    /// The endpoint serving `grants`, one handler per grant type.
    public init(authenticator: ClientAuthenticator, logger: Logger, grants: [any GrantHandler]) {
        self.authenticator = authenticator
        self.logger = logger
        self.grants = Dictionary(grants.map { ($0.grantType, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The grant types this endpoint serves, for discovery.
    public var grantTypes: [GrantType] { GrantType.known.filter { grants[$0] != nil } }

    /// Answers one token request (RFC 6749 §5.1, §5.2).
    public func handle(_ request: OAuthRequest) async -> OAuthResponse {
        await OAuthError.rendering(endpoint: "token", logger: logger) { () async throws(OAuthError) in
            try await respond(request)
        }
    }

    func respond(_ request: OAuthRequest) async throws(OAuthError) -> OAuthResponse {
        try RequestChecks.requirePOST(request)
        let params = try RequestChecks.formParameters(request)
        guard let grantTypeName = params["grant_type"] else { throw .invalidRequest("grant_type is required") }
        let (client, method) = try await authenticator.authenticate(request, params, allowPublic: true)
        guard let handler = grants[GrantType(rawValue: grantTypeName)] else {
            throw OAuthError(.unsupportedGrantType, "grant_type is not supported by this server")
        }
        guard handler.permits(client) else {
            throw OAuthError(.unauthorizedClient, "this client is not registered for grant type \(handler.grantType)")
        }
        return try await handler.handle(
            params, client: client,
            context: TokenRequestContext(remoteAddress: request.remoteAddress, authenticationMethod: method))
    }
}
