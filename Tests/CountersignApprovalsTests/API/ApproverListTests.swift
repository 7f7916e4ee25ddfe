import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Testing

/// `GET /api/v1/approval-requests` over the real SQLite store: an approver sees their requests
/// however many newer ones of other groups there are.
@Suite struct ApproverListTests {
    static func request(_ id: String, group: String, createdAt: Instant) -> ApprovalRequest {
        ApprovalRequest(
            id: id, authReqIDHash: Array(id.utf8), clientID: "app", subject: "alice", subjectIssuer: "https://idp.example.com",
            actor: nil, authorizationDetails: [["type": "delete_user"]], audience: "https://api.example.com", scopes: [],
            approvals: [ApprovalRequirement(approver: .group(group))], grant: GrantTerms(ttl: 120, oneTime: true),
            ruleNames: ["r"], createdAt: createdAt, expiresAt: createdAt + .seconds(3600))
    }

    static func ids(_ reply: OAuthFixture.Reply) -> [String] {
        (reply.json["approval_requests"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.stringValue }
    }

    @Test func anApproversRequestBehind250NewerOfAnotherGroupIsListed() async throws {
        try await OAuthFixture.with { f in
            let t0 = f.clock.now()
            _ = try await f.store.create(Self.request("mine", group: "security", createdAt: t0), audit: [], notifications: [], claim: nil)
            for i in 0..<250 {
                _ = try await f.store.create(
                    Self.request("other-\(i)", group: "finance-leads", createdAt: t0 + .milliseconds(1 + i)), audit: [], notifications: [],
                    claim: nil)
            }
            let carol = User(name: "carol", createdAt: t0)
            for state in [nil, "all"] {
                let reply = OAuthFixture.reply(try await f.approvals.api.list(state: state, for: carol))
                #expect(reply.status == 200)
                #expect(Self.ids(reply) == ["mine"])
            }
            let lead = User(name: "fiona", groups: ["finance-leads"], createdAt: t0)
            let leads = Self.ids(OAuthFixture.reply(try await f.approvals.api.list(state: nil, for: lead)))
            #expect(leads.count == 200 && leads.first == "other-249" && !leads.contains("mine"))
        }
    }

    @Test func pagingReadsEveryRequestOnceNewestFirstEvenWithEqualTimes() async throws {
        try await OAuthFixture.with { f in
            let t0 = f.clock.now()
            for i in 0..<7 {
                _ = try await f.store.create(
                    Self.request("r\(i)", group: "security", createdAt: t0 + .milliseconds(i / 3)), audit: [], notifications: [], claim: nil
                )
            }
            let all = try await f.store.approvalRequests(state: nil, limit: 100, pageSize: 2) { _ in true }
            #expect(all.map(\.id) == ["r6", "r5", "r4", "r3", "r2", "r1", "r0"])
            let bounded = try await f.store.approvalRequests(state: nil, limit: 100, maxScanned: 3, pageSize: 2) { _ in true }
            #expect(bounded.map(\.id) == ["r6", "r5", "r4"])
            let kept = try await f.store.approvalRequests(state: .pending, limit: 2, pageSize: 2) { $0.id != "r5" }
            #expect(kept.map(\.id) == ["r6", "r4"])
        }
    }
}
