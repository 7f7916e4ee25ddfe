import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Testing

/// While no policy is in force (docs/POLICY.md, "No policy"), every grant answers the same: a
/// request that names `authorization_details` or a `scope` is 503, since only a policy says
/// which scopes are actions; a plain client credentials request is still served.
@Suite struct NoPolicyTests {
    typealias F = OAuthFixture
    static let none = OAuthFixture.FixedPolicy(currentPolicy: nil)
    static let refund = #"[{"type":"refund","locations":["https://api.example.com/payments/p-17"],"amount":50,"currency":"EUR"}]"#

    static func expectUnavailable(_ reply: F.Reply) {
        #expect(reply.status == 503)
        #expect(reply.error == "temporarily_unavailable")
    }

    @Test func clientCredentialsWithAScopeOrAnActionIs503AndWithoutIsServed() async throws {
        try await F.with(policies: Self.none) { f in
            Self.expectUnavailable(await f.token("grant_type=client_credentials&scope=read"))
            Self.expectUnavailable(
                await f.token("grant_type=client_credentials&authorization_details=\(F.encode(Self.refund))"))
            #expect(await f.token("grant_type=client_credentials").status == 200)
        }
    }

    @Test func aBackchannelRequestIs503() async throws {
        try await F.with(policies: Self.none) { f in
            try await BackchannelConfirmationTests.setUp(f)
            try await BackchannelConfirmationTests.createClient(f, "agent", assertsUsers: false)
            let form = "login_hint=alice&scope=refund"
            Self.expectUnavailable(F.reply(await f.server.backchannel.handle(F.request(form, auth: F.basic("agent", F.secret)))))
        }
    }
}
