import CountersignOAuth
import CountersignTestSupport
import Testing

/// Client authentication (RFC 6749 §2.3): a client id is never matched by Unicode
/// equivalence, and an over-long secret is refused before any work, whoever the client.
@Suite struct ClientAuthenticatorTests {
    typealias F = OAuthFixture

    @Test func aClientIDEquivalentOnlyUnderUnicodeIsUnknown() async throws {
        try await F.with { f in
            try await f.createClient("Kiosk")
            #expect(await f.token("grant_type=client_credentials", auth: F.basic("Kiosk", F.secret)).status == 200)
            let kelvin = await f.token("grant_type=client_credentials", auth: F.basic("\u{212A}iosk", F.secret))
            #expect(kelvin.status == 401)
            #expect(kelvin.error == "invalid_client")
        }
    }

    @Test func anOverlongSecretIsRefusedWithoutWork() async throws {
        try await F.with { f in
            let reply = await f.token(
                "grant_type=client_credentials", auth: F.basic("app", String(repeating: "x", count: 600)))
            #expect(reply.status == 401)
            #expect(reply.error == "invalid_client")
        }
    }
}
