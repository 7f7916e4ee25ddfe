import CountersignCore
import CountersignStore

/// RFC 6749 §4.4: the client asks for a token for itself. Checks the scope and the audience,
/// mints an RFC 9068 JWT whose subject is the client, and answers only once the `token.issued`
/// event is durable in the audit chain.
public struct ClientCredentialsGrant: GrantHandler {
    public let grantType = GrantType.clientCredentials

    let minter: AccessTokenMinter
    let directory: ClientDirectory

    public init(minter: AccessTokenMinter, directory: ClientDirectory) {
        self.minter = minter
        self.directory = directory
    }

    public func handle(_ params: FormParameters, client: OAuthClient, context: TokenRequestContext)
        async throws(OAuthError) -> OAuthResponse
    {
        // RFC 6749 §4.4: only confidential clients may use this grant.
        guard !client.isPublic else {
            throw OAuthError(.unauthorizedClient, "a public client cannot use client_credentials")
        }
        let scopes = try CheckScope.granted(requested: params["scope"], client: client)
        let audience = try await CheckResource.audience(
            requested: params["resource"], defaultAudience: minter.issuer, directory: directory)
        let issued = try await minter.mint(
            subject: client.id, audience: audience, clientID: client.id, scopes: scopes,
            lifetime: AccessTokenLifetime.standard, grantType: grantType, remoteAddress: context.remoteAddress)
        return issued.response
    }
}
