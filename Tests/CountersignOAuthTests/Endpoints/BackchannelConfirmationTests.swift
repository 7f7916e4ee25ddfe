import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Crypto
import Testing

/// OpenID CIBA Core §7.1: a hint names the user, it does not authenticate them. A backchannel
/// request needs the subject's own confirmation besides what the policy asks, unless the client
/// is trusted to assert its users, which is audited at each use.
@Suite struct BackchannelConfirmationTests {
    typealias F = OAuthFixture
    static let api = "https://api.example.com"
    static let smallRefund =
        #"[{"type":"refund","locations":["https://api.example.com/payments/p-17"],"amount":50,"currency":"EUR"}]"#

    static func setUp(_ f: OAuthFixture) async throws {
        for name in ["alice", "bob"] {
            let user = User(name: name, createdAt: f.clock.now())
            try await f.store.create(user, audit: AuditRecord(type: "user.created", actor: "test", data: user.auditData))
        }
        try await f.createClient("payments-api", grants: [.clientCredentials], scopes: [], resources: [api])
        try await f.server.directory.reload()
    }

    static func createClient(_ f: OAuthFixture, _ id: String, assertsUsers: Bool) async throws {
        let client = OAuthClient(
            id: id, secretHash: ClientSecret.hash(F.secret, serverKey: f.serverKey), grantTypes: [.ciba], scopes: [],
            assertsUsers: assertsUsers, createdAt: f.clock.now())
        try await f.store.create(client, audit: AuditRecord(type: "client.created", actor: "test", data: client.auditData))
        try await f.server.directory.reload()
    }

    static func ask(_ f: OAuthFixture, client: String) async throws -> String {
        let form = "login_hint=alice&resource=\(F.encode(api))&authorization_details=\(F.encode(smallRefund))"
        let reply = F.reply(await f.server.backchannel.handle(F.request(form, auth: F.basic(client, F.secret))))
        try #require(reply.status == 200, "bc-authorize failed: \(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.json["auth_req_id"]?.stringValue)
    }

    static func poll(_ f: OAuthFixture, _ authReqID: String, client: String) async -> F.Reply {
        await f.token("grant_type=urn:openid:params:grant-type:ciba&auth_req_id=\(authReqID)", auth: F.basic(client, F.secret))
    }

    @Test func aLoginHintAloneGetsNoTokenUntilTheUserConfirms() async throws {
        try await F.with { f in
            try await Self.setUp(f)
            try await Self.createClient(f, "agent", assertsUsers: false)
            let authReqID = try await Self.ask(f, client: "agent")
            let pending = await Self.poll(f, authReqID, client: "agent")
            #expect(pending.status == 400 && pending.error == "authorization_pending")

            let request = try #require(
                try await f.store.approvalRequest(authReqIDHash: Array(SHA256.hash(data: Array(authReqID.utf8)))))
            #expect(request.approvals.map(\.approver) == [.subject])
            #expect(try await f.auditTypes().contains("ciba.user_asserted") == false)
            // Someone else cannot confirm for alice.
            let bob = try #require(try await f.store.user(named: "bob"))
            do throws(OAuthError) {
                _ = try await f.approvals.api.vote(id: request.id, verdict: .approve, body: [], by: bob)
                Issue.record("bob confirmed alice's request")
            } catch {
                #expect(error.status == 403)
                #expect(error.description == "only alice, who asked for this action, can confirm it")
            }
            let alice = try #require(try await f.store.user(named: "alice"))
            _ = try await f.approvals.api.vote(id: request.id, verdict: .approve, body: [], by: alice)
            f.clock.advance(by: .seconds(6))
            let redeemed = await Self.poll(f, authReqID, client: "agent")
            #expect(redeemed.status == 200)
            #expect(redeemed.json["access_token"]?.stringValue != nil)
        }
    }

    @Test func aClientTrustedToAssertItsUsersIsAnsweredAtOnceAndAudited() async throws {
        try await F.with { f in
            try await Self.setUp(f)
            try await Self.createClient(f, "backoffice", assertsUsers: true)
            let authReqID = try await Self.ask(f, client: "backoffice")
            let reply = await Self.poll(f, authReqID, client: "backoffice")
            #expect(reply.status == 200)
            let asserted = try await f.store.events(after: 0, limit: 10_000).filter { $0.type == "ciba.user_asserted" }
            #expect(asserted.count == 1)
            #expect(asserted.first?.actor == "client:backoffice")
            #expect(asserted.first?.data["sub"] == .string("alice"))
        }
    }
}
