import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Testing

@Suite struct IntrospectionRevocationTests {
    typealias F = OAuthFixture

    @Test func theOwningClientSeesItsActiveToken() async throws {
        try await F.with { f in
            let token = try await f.accessToken("grant_type=client_credentials&scope=read")
            let reply = await f.introspect(token)
            #expect(reply.status == 200)
            #expect(reply.header("Cache-Control") == "no-store")
            #expect(reply.json["active"] == true)
            #expect(reply.json["client_id"] == "app")
            #expect(reply.json["scope"] == "read")
            #expect(reply.json["iss"] == .string(F.issuer))
            #expect(reply.json["exp"]?.int64Value != nil)
        }
    }

    @Test func aResourceServerSeesTokensForItsAudienceOnly() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            try await f.createClient("other-api", resources: ["https://other.example.com"])
            let token = try await f.accessToken("grant_type=client_credentials&resource=https://api.example.com")
            #expect(await f.introspect(token, as: F.basic("api", F.secret)).json["active"] == true)
            #expect(await f.introspect(token, as: F.basic("other-api", F.secret)).json == ["active": false])
            let plain = try await f.accessToken()
            #expect(await f.introspect(plain, as: F.basic("api", F.secret)).json == ["active": false])
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

    @Test func introspectionRequiresClientAuthentication() async throws {
        try await F.with { f in
            let token = try await f.accessToken()
            let reply = await f.introspect(token, as: nil)
            #expect(reply.status == 401)
            #expect(reply.error == "invalid_client")
            let missing = F.reply(await f.server.introspection.handle(F.request("token_type_hint=access_token")))
            #expect(missing.status == 400)
            #expect(missing.error == "invalid_request")
        }
    }

    @Test func garbageExpiredAndForeignTokensAreOnlyInactive() async throws {
        try await F.with { f in
            let token = try await f.accessToken()
            for junk in ["garbage", "a.b.c", "", String(repeating: "x", count: 9000), token + "x"] {
                let reply = await f.introspect(junk)
                if junk.isEmpty {
                    #expect(reply.error == "invalid_request")
                } else {
                    #expect(reply.status == 200)
                    #expect(reply.json == ["active": false])
                }
            }
            f.clock.advance(by: .seconds(301))
            #expect(await f.introspect(token).json == ["active": false])
        }
    }

    @Test func revocationEndsATokenAtOnceAndIsAudited() async throws {
        try await F.with { f in
            let token = try await f.accessToken()
            let reply = await f.revoke("token=\(token)&token_type_hint=access_token")
            #expect(reply.status == 200)
            #expect(await f.introspect(token).json == ["active": false])
            #expect(try await f.auditTypes().last == "token.revoked")
            // Revoking again is fine and records nothing new.
            let count = try await f.auditTypes().count
            #expect(await f.revoke("token=\(token)").status == 200)
            #expect(try await f.auditTypes().count == count)
        }
    }

    @Test func revocationOfGarbageIs200AndAnotherClientsTokenIsRefused() async throws {
        try await F.with { f in
            #expect(await f.revoke("token=garbage").status == 200)
            try await f.createClient("thief")
            let token = try await f.accessToken()
            let reply = await f.revoke("token=\(token)", as: F.basic("thief", F.secret))
            #expect(reply.status == 400)
            #expect(reply.error == "invalid_request")
            #expect(await f.introspect(token).json["active"] == true)
        }
    }

    @Test func anUnknownTokenTypeHintIsUnsupportedTokenType() async throws {
        try await F.with { f in
            let reply = await f.revoke("token=x&token_type_hint=id_token")
            #expect(reply.status == 400)
            #expect(reply.error == "unsupported_token_type")
        }
    }

    @Test func aWrongHintStillResolves() async throws {
        try await F.with { f in
            let token = try await f.accessToken()
            let reply = F.reply(
                await f.server.introspection.handle(F.request("token=\(token)&token_type_hint=refresh_token")))
            #expect(reply.json["active"] == true)
        }
    }
}
