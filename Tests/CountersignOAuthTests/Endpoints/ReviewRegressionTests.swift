import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Testing

/// Defects found in review, each pinned by a test that fails without its fix.
@Suite struct ReviewRegressionTests {
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

    @Test func aDeletedClientsTokensAreInactiveForResourceServers() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            try await f.createClient("worker")
            let reply = await f.token(
                "grant_type=client_credentials&resource=https://api.example.com", auth: F.basic("worker", F.secret))
            let token = try #require(reply.json["access_token"]?.stringValue)
            #expect(await f.introspect(token, as: F.basic("api", F.secret)).json["active"] == true)
            _ = try await f.store.delete(
                id: "worker", audit: AuditRecord(type: "client.deleted", actor: "test", data: [:]))
            try await f.server.directory.reload()
            #expect(await f.introspect(token, as: F.basic("api", F.secret)).json == ["active": false])
        }
    }

    @Test func anImmediateRotationUnpublishesTheCompromisedKey() async throws {
        try await F.with { f in
            let old = try await f.accessToken()
            let oldKid = f.server.keys.activeKid
            try await KeyRotation.rotate(
                store: f.store, serverKey: f.serverKey, now: f.clock.now(), actor: "test", immediately: true)
            f.clock.advance(by: .seconds(1))
            try await f.server.keys.reload()
            let jwks = CanonicalJSON.string(try JSONParser().parse(f.server.keys.jwksDocument))
            #expect(!jwks.contains(oldKid))
            #expect(await f.introspect(old).json == ["active": false])
        }
    }

    @Test func aRevocationSurvivesAReloadThatReadBeforeIt() async throws {
        try await F.with { f in
            let token = try await f.accessToken()
            // A reload that read the store earlier merges; it never drops a newer revocation.
            #expect(await f.revoke("token=\(token)").status == 200)
            try await f.server.revocations.reload()
            #expect(await f.introspect(token).json == ["active": false])
        }
    }
}
