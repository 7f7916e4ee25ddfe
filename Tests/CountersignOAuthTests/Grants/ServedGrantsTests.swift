import CountersignCore
import CountersignOAuth
import CountersignTestSupport
import Testing

/// One list says which grants the token endpoint serves; registration and discovery follow it.
@Suite struct ServedGrantsTests {
    @Test func theTokenEndpointServesExactlyTheListedGrants() async throws {
        try await OAuthFixture.with { f in
            #expect(f.server.token.grantTypes == ServedGrants.grantTypes)
            #expect(ServedGrants.grantTypes == [.clientCredentials, .tokenExchange, .ciba])
        }
    }

    @Test(arguments: [
        (
            "authorization_code",
            "the server does not serve grant type authorization_code yet; use client_credentials, token-exchange or ciba"
        ),
        ("refresh_token", "the server does not serve grant type refresh_token yet; use client_credentials, token-exchange or ciba"),
        ("bogus", "unknown grant type \"bogus\"; use client_credentials, token-exchange or ciba"),
    ])
    func aGrantTheServerDoesNotServeCannotBeRegistered(name: String, problem: String) {
        #expect(ServedGrants.problem(registering: name) == problem)
    }

    @Test(arguments: [
        "client_credentials", "token-exchange", "urn:ietf:params:oauth:grant-type:token-exchange", "ciba",
        "urn:openid:params:grant-type:ciba",
    ])
    func aServedGrantCanBeRegisteredByEitherName(name: String) {
        #expect(ServedGrants.problem(registering: name) == nil)
    }
}
