import CountersignCore
import CountersignStore

/// RFC 6749 §4.4: the client asks for a token for itself. Without an action: checks the scope
/// and the audience and mints an RFC 9068 JWT whose subject is the client. With an action
/// (`authorization_details`, or a scope naming one): the client itself is the subject of the
/// decision (machine clients and agents), and the token is bound to that action. Either way it
/// answers only once the token's events are durable in the audit chain.
public struct ClientCredentialsGrant: GrantHandler {
    /// `client_credentials` (RFC 6749 §4.4).
    public let grantType = GrantType.clientCredentials

    let minter: AccessTokenMinter
    let directory: ClientDirectory
    let issuance: ActionIssuance?

    /// The grant; without `issuance` it issues only tokens without an action.
    public init(minter: AccessTokenMinter, directory: ClientDirectory, issuance: ActionIssuance? = nil) {
        self.minter = minter
        self.directory = directory
        self.issuance = issuance
    }

    /// Issues a token to the client itself (RFC 6749 §4.4.3), or answers the policy's decision.
    public func handle(
        _ params: FormParameters, client: OAuthClient, context: TokenRequestContext
    )
        async throws(OAuthError) -> OAuthResponse
    {
        // RFC 6749 §4.4: only confidential clients may use this grant.
        guard !client.isPublic else {
            throw OAuthError(.unauthorizedClient, "a public client cannot use client_credentials")
        }
        if let issuance, let request = try await issuance.read(params, client: client) {
            return try await issuance.issue(request, to: .client(client), client: client, grantType: grantType, context: context)
        }
        let scopes = try CheckScope.granted(requested: params["scope"], client: client)
        let audience = try await CheckResource.audience(
            requested: params["resource"], defaultAudience: minter.issuer, directory: directory)
        let issued = try await minter.mint(
            subject: client.id, audience: audience, clientID: client.id, scopes: scopes,
            lifetime: client.cappedLifetime(AccessTokenLifetime.standard), grantType: grantType,
            remoteAddress: context.remoteAddress)
        return issued.response
    }
}
