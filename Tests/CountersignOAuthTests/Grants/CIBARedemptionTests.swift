import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Crypto
import Testing

/// Redeeming an approved `auth_req_id` (OpenID CIBA Core §11): once, and a replay revokes the
/// token the first redemption issued, for as long as that token lives.
@Suite struct CIBARedemptionTests {
    static let authReqID = "auth-req-id-for-the-replay-test-0123456789"

    /// An approved request of client `app`, redeemable with `authReqID`.
    static func approved(at now: Instant) -> ApprovalRequest {
        ApprovalRequest(
            id: "r-replay", authReqIDHash: Array(SHA256.hash(data: Array(authReqID.utf8))), clientID: "app",
            subject: "bob", subjectIssuer: nil, actor: nil, authorizationDetails: [["type": "delete_user"]],
            audience: OAuthFixture.issuer, scopes: [], approvals: [], grant: GrantTerms(ttl: 120, oneTime: false),
            ruleNames: ["security-approves-deletions"], state: .approved, createdAt: now, expiresAt: now + .seconds(600),
            decidedAt: now)
    }

    static let redeem = "grant_type=urn:openid:params:grant-type:ciba&auth_req_id=\(authReqID)"

    @Test func aTokenRevokedByAReplayStaysInactivePastThePurge() async throws {
        try await OAuthFixture.with { f in
            _ = try await f.store.create(Self.approved(at: f.clock.now()), audit: [], notifications: [], claim: nil)
            let first = await f.token(Self.redeem)
            try #require(first.status == 200, "redemption failed: \(String(decoding: first.body, as: UTF8.self))")
            let token = try #require(first.json["access_token"]?.stringValue)
            #expect(await f.introspect(token).json["active"] == .bool(true))

            let replay = await f.token(Self.redeem)
            #expect(replay.status == 400 && replay.error == "invalid_grant")
            #expect(await f.introspect(token).json["active"] == .bool(false))

            // The purge runs each minute; the token still has a minute to live.
            f.clock.advance(by: .seconds(60))
            try await f.server.revocations.purgeExpired()
            #expect(await f.introspect(token).json["active"] == .bool(false))
            try await f.server.revocations.reload()
            #expect(await f.introspect(token).json["active"] == .bool(false))
            #expect(try await f.store.revocations(activeAt: f.clock.now()).count == 1)

            // Once the token has expired its revocation may go: it is dead either way.
            f.clock.advance(by: .seconds(61))
            try await f.server.revocations.purgeExpired()
            #expect(try await f.store.revocations(activeAt: f.clock.now()).isEmpty)
            #expect(await f.introspect(token).json["active"] == .bool(false))
        }
    }
}
