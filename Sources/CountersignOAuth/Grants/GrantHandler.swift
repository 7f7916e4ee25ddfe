import CountersignCore

/// One grant type at the token endpoint (RFC 6749 §4): it declares its type and turns an
/// authenticated request into a token response. Registered in `TokenEndpoint.grants`.
public protocol GrantHandler: Sendable {
    /// The `grant_type` this handler serves.
    var grantType: GrantType { get }
    /// Answers an authenticated client's request of this grant type: a token response, or an OAuth error.
    func handle(
        _ params: FormParameters, client: OAuthClient, context: TokenRequestContext
    ) async throws(OAuthError)
        -> OAuthResponse
    /// Whether `client` may use this grant (RFC 6749 §5.2 `unauthorized_client` otherwise).
    func permits(_ client: OAuthClient) -> Bool
}

extension GrantHandler {
    /// By default, a client registered for the grant type.
    public func permits(_ client: OAuthClient) -> Bool { client.allows(grantType) }
}

/// Facts about the request that a grant may record (never a secret).
public struct TokenRequestContext: Sendable {
    /// The peer's IP address, for the audit log.
    public var remoteAddress: String?
    /// How the client authenticated.
    public var authenticationMethod: ClientAuthenticator.Method
}
