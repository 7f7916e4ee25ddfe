import CountersignCore

/// One grant type at the token endpoint (RFC 6749 §4): it declares its type and turns an
/// authenticated request into a token response. Registered in `TokenEndpoint.grants`.
public protocol GrantHandler: Sendable {
    var grantType: GrantType { get }
    func handle(_ params: FormParameters, client: OAuthClient, context: TokenRequestContext) async throws(OAuthError)
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
    public var remoteAddress: String?
    public var authenticationMethod: ClientAuthenticator.Method
}
