import CountersignCore
import CountersignOAuth
import CountersignTestSupport
import Testing

/// An action token's audience is the resource server that will act on it, never the
/// authorization server (ACTION-TOKENS.md, "The audience"; RFC 8707 §2).
@Suite struct ActionAudienceTests {
    typealias F = OAuthFixture

    static func refund(_ locations: String...) -> String {
        let list = locations.map { "\"\($0)\"" }.joined(separator: ",")
        return "authorization_details=" + F.encode(#"[{"type":"refund","locations":[\#(list)],"amount":25,"currency":"EUR"}]"#)
    }

    static func claims(_ reply: F.Reply) throws -> [String: JSONValue] {
        let token = try #require(reply.json["access_token"]?.stringValue, "\(String(decoding: reply.body, as: UTF8.self))")
        return try JSONParser().parse(Base64URL.decode(Array(token.split(separator: ".")[1].utf8)) ?? []).objectValue ?? [:]
    }

    /// Fails against 503d0c1: the token's `aud` was the issuer, which no resource server accepts.
    @Test func withoutResourceTheAudienceIsTheLongestRegisteredResourceServerCoveringTheLocations() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            try await f.createClient("payments", resources: ["https://api.example.com/payments"])
            try await f.createClient("pay", resources: ["https://api.example.com/pay"])
            let reply = await f.token("grant_type=client_credentials&" + Self.refund("https://api.example.com/payments/p-17"))
            #expect(reply.status == 200)
            let claims = try Self.claims(reply)
            #expect(claims["aud"] == "https://api.example.com/payments")
            #expect(claims["one_time"] == true)
            // The resource server of its audience can spend it, once.
            let token = try #require(reply.json["access_token"]?.stringValue)
            #expect(await f.introspect(token, as: F.basic("payments", F.secret)).json["active"] == true)
            #expect(await f.introspect(token, as: F.basic("payments", F.secret)).json == ["active": false])
        }
    }

    @Test func aLocationNoResourceServerCoversIsInvalidTarget() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com/transactions"])
            let reply = await f.token("grant_type=client_credentials&" + Self.refund("https://api.example.com/payments/p-17"))
            #expect(reply.status == 400)
            #expect(reply.error == "invalid_target")
            #expect(
                reply.json["error_description"]
                    == "no registered resource server covers the location https://api.example.com/payments/p-17 (RFC 8707 section 2)")
        }
    }

    @Test func locationsOfTwoResourceServersNeedTwoTokens() async throws {
        try await F.with { f in
            try await f.createClient("p1", resources: ["https://api.example.com/payments/p-1"])
            try await f.createClient("p2", resources: ["https://api.example.com/payments/p-2"])
            let reply = await f.token(
                "grant_type=client_credentials&"
                    + Self.refund("https://api.example.com/payments/p-1", "https://api.example.com/payments/p-2"))
            #expect(reply.error == "invalid_target")
            #expect(
                reply.json["error_description"]
                    == "no one registered resource server covers every location: https://api.example.com/payments/p-2 lies outside those that cover the locations before it; ask for one token per resource server"
            )
        }
    }

    @Test func anActionWithoutLocationsNeedsResource() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            let bare = await f.token("grant_type=client_credentials&scope=rotate_api_key")
            #expect(bare.status == 400)
            #expect(bare.error == "invalid_target")
            #expect(
                bare.json["error_description"]
                    == "resource is required: name the resource server that will act on this action token (RFC 8707); the request has no locations to find it by"
            )
            // Named, the request reaches the policy (which has no rule for a client rotating keys).
            let named = await f.token("grant_type=client_credentials&scope=rotate_api_key&resource=https%3A%2F%2Fapi.example.com")
            #expect(named.error == "access_denied")
        }
    }

    @Test func theIssuerIsNoAudienceForAnActionToken() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            let reply = await f.token(
                "grant_type=client_credentials&resource=\(F.encode(F.issuer))&" + Self.refund("https://api.example.com/payments/p-17"))
            #expect(reply.error == "invalid_target")
            #expect(reply.json["error_description"] == "resource is not a registered resource server")
            // A plain scope token keeps the issuer as its default audience.
            #expect(try Self.claims(await f.token("grant_type=client_credentials&scope=read"))["aud"] == .string(F.issuer))
        }
    }

    /// Fails against 503d0c1: the token carried the locations as sent.
    @Test func theTokenCarriesTheLocationsInNormalForm() async throws {
        try await F.with { f in
            try await f.createClient("api", resources: ["https://api.example.com"])
            let reply = await f.token(
                "grant_type=client_credentials&" + Self.refund("HTTPS://API.Example.com:443/payments/%70-17"))
            #expect(reply.status == 200)
            let normal: JSONValue = ["https://api.example.com/payments/p-17"]
            #expect(try Self.claims(reply)["authorization_details"]?.arrayValue?.first?.objectValue?["locations"] == normal)
            #expect(reply.json["authorization_details"]?.arrayValue?.first?.objectValue?["locations"] == normal)
            #expect(try Self.claims(reply)["aud"] == "https://api.example.com")
        }
    }

    @Test func aRequestedResourceMustCoverEveryLocation() async throws {
        try await F.with { f in
            try await f.createClient("p1", resources: ["https://api.example.com/payments/p-1"])
            let resource = "resource=" + F.encode("https://api.example.com/payments/p-1")
            let inside = await f.token(
                "grant_type=client_credentials&\(resource)&" + Self.refund("https://api.example.com/payments/p-1"))
            #expect(try Self.claims(inside)["aud"] == "https://api.example.com/payments/p-1")
            let outside = await f.token(
                "grant_type=client_credentials&\(resource)&" + Self.refund("https://api.example.com/payments/p-17"))
            #expect(outside.error == "invalid_authorization_details")
            #expect(
                outside.json["error_description"]
                    == "authorization_details[0].locations: https://api.example.com/payments/p-17 is not a resource of the audience https://api.example.com/payments/p-1"
            )
        }
    }
}
