import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Testing

@Suite struct TokenEndpointTests {
    typealias F = OAuthFixture

    @Test func clientCredentialsIssuesAnRFC9068TokenAndAuditsIt() async throws {
        try await F.with { f in
            let reply = await f.token("grant_type=client_credentials&scope=read")
            #expect(reply.status == 200)
            #expect(reply.header("Cache-Control") == "no-store")
            #expect(reply.json["token_type"] == "Bearer")
            #expect(reply.json["expires_in"] == 300)
            #expect(reply.json["scope"] == "read")
            let token = try #require(reply.json["access_token"]?.stringValue)
            let parts = token.split(separator: ".").map { Base64URL.decode(Array($0.utf8)) ?? [] }
            let header = try JSONParser().parse(parts[0]).objectValue
            #expect(header?["typ"] == "at+jwt")
            #expect(header?["alg"] == "ES256")
            #expect(header?["kid"]?.stringValue == f.server.keys.activeKid)
            let claims = try JSONParser().parse(parts[1]).objectValue ?? [:]
            #expect(claims["iss"] == .string(F.issuer))
            #expect(claims["sub"] == "app")
            #expect(claims["client_id"] == "app")
            #expect(claims["aud"] == .string(F.issuer))
            #expect(claims["scope"] == "read")
            let iat = try #require(claims["iat"]?.int64Value)
            #expect(claims["exp"]?.int64Value == iat + 300)
            let events = try await f.store.events(after: 0, limit: 100)
            let issued = try #require(events.last)
            #expect(issued.type == "token.issued")
            #expect(issued.data["jti"] == claims["jti"])
            #expect(!CanonicalJSON.string(issued.json).contains(token))
        }
    }

    @Test func anOmittedScopeMeansTheClientsScopes() async throws {
        try await F.with { f in
            let reply = await f.token("grant_type=client_credentials")
            #expect(reply.json["scope"] == "read write")
        }
    }

    @Test func clientSecretPostWorks() async throws {
        try await F.with { f in
            let reply = await f.token(
                "grant_type=client_credentials&client_id=app&client_secret=\(F.secret)", auth: nil)
            #expect(reply.status == 200)
        }
    }

    @Test func unknownClientAndWrongSecretGetTheSameAnswer() async throws {
        try await F.with { f in
            let wrong = await f.token("grant_type=client_credentials", auth: F.basic("app", F.secret + "x"))
            let unknown = await f.token("grant_type=client_credentials", auth: F.basic("nobody", F.secret))
            let injected = await f.token("grant_type=client_credentials", auth: F.basic("' OR 1=1--", F.secret))
            for reply in [wrong, unknown, injected] {
                #expect(reply.status == 401)
                #expect(reply.error == "invalid_client")
                #expect(reply.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
                #expect(reply.body == wrong.body)
            }
        }
    }

    @Test func noClientAuthenticationIs401() async throws {
        try await F.with { f in
            let reply = await f.token("grant_type=client_credentials", auth: nil)
            #expect(reply.status == 401)
            #expect(reply.error == "invalid_client")
        }
    }

    @Test(arguments: [
        ("Basic !!!notbase64", "the Basic credentials are not base64 of client_id:client_secret"),
        ("Basic " + "bm9jb2xvbg==", "the Basic credentials are not base64 of client_id:client_secret"),
        ("Basic " + "YSUyOmI=", "the Basic credentials are not form-urlencoded client_id:client_secret"),
    ])
    func malformedBasicCredentialsAreInvalidRequest(header: String, description: String) async throws {
        try await F.with { f in
            let reply = await f.token("grant_type=client_credentials", auth: header)
            #expect(reply.status == 400)
            #expect(reply.error == "invalid_request")
            #expect(reply.json["error_description"] == .string(description))
        }
    }

    @Test func twoAuthenticationMethodsAtOnceAreRefused() async throws {
        try await F.with { f in
            let reply = await f.token("grant_type=client_credentials&client_secret=\(F.secret)")
            #expect(reply.status == 400)
            #expect(reply.error == "invalid_request")
            let mismatch = await f.token("grant_type=client_credentials&client_id=other")
            #expect(mismatch.error == "invalid_request")
            let twoHeaders = F.reply(
                await f.server.token.handle(
                    OAuthRequest(
                        method: "POST", contentType: "application/x-www-form-urlencoded",
                        authorization: [F.basic("app", F.secret), F.basic("app", F.secret)],
                        body: Array("grant_type=client_credentials".utf8))))
            #expect(twoHeaders.error == "invalid_request")
        }
    }

    @Test func aPublicClientCannotUseClientCredentials() async throws {
        try await F.with { f in
            try await f.createClient("spa", secret: nil)
            let reply = await f.token("grant_type=client_credentials&client_id=spa", auth: nil)
            #expect(reply.status == 400)
            #expect(reply.error == "unauthorized_client")
            let withSecret = await f.token("grant_type=client_credentials", auth: F.basic("spa", F.secret))
            #expect(withSecret.status == 401)
        }
    }

    @Test(arguments: [
        ("grant_type=urn:example:nope", 400, "unsupported_grant_type"),
        ("grant_type=authorization_code&code=x", 400, "unsupported_grant_type"),
        ("scope=read", 400, "invalid_request"),
        ("grant_type=client_credentials&scope=admin", 400, "invalid_scope"),
        ("grant_type=client_credentials&scope=read%20%20write", 400, "invalid_scope"),
        ("grant_type=client_credentials&scope=read&scope=write", 400, "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"),
        ("grant_type=client_credentials&resource=/relative", 400, "invalid_target"),
        ("grant_type=client_credentials&resource=https://api.example.com/x%23frag", 400, "invalid_target"),
        ("grant_type=client_credentials&resource=https://unknown.example.com", 400, "invalid_target"),
        ("grant_type=client_credentials&scope[]=read", 400, "invalid_request"),
        ("grant_type=client_credentials&unknown_param=1", 200, ""),
    ])
    func badRequestsGetTheExactError(form: String, status: Int, error: String) async throws {
        try await F.with { f in
            let reply = await f.token(form)
            #expect(reply.status == status)
            if status != 200 {
                #expect(reply.error == error)
                #expect(reply.header("Cache-Control") == "no-store")
            }
        }
    }

    @Test func aGrantNotRegisteredForTheClientIsUnauthorizedClient() async throws {
        try await F.with { f in
            try await f.createClient("exchanger", grants: [.tokenExchange])
            let reply = await f.token("grant_type=client_credentials", auth: F.basic("exchanger", F.secret))
            #expect(reply.status == 400)
            #expect(reply.error == "unauthorized_client")
        }
    }

    @Test func aRegisteredResourceBecomesTheAudience() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            let token = try await f.accessToken("grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com")
            let claims = try JSONParser().parse(Base64URL.decode(Array(token.split(separator: ".")[1].utf8)) ?? [])
            #expect(claims.objectValue?["aud"] == "https://api.example.com")
        }
    }

    @Test func wrongMethodAndContentTypeAreRefused() async throws {
        try await F.with { f in
            let get = F.reply(await f.server.token.handle(F.request("grant_type=client_credentials", method: "GET")))
            #expect(get.status == 405)
            #expect(get.error == "invalid_request")
            for type in ["application/json", "multipart/form-data", nil] as [String?] {
                let reply = F.reply(
                    await f.server.token.handle(F.request(#"{"grant_type":"client_credentials"}"#, contentType: type)))
                #expect(reply.status == 400)
                #expect(reply.error == "invalid_request")
            }
        }
    }

    @Test func noTokenWithoutItsAuditEvent() async throws {
        try await F.with { f in
            let before = try await f.auditTypes().count
            _ = try await f.accessToken()
            _ = await f.token("grant_type=client_credentials&scope=admin")
            let after = try await f.auditTypes()
            #expect(after.count == before + 1)
            #expect(after.last == "token.issued")
        }
    }
}
