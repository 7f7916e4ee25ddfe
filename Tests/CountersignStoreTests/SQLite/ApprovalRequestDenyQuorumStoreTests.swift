import CountersignCore
import CountersignStore
import Testing

/// A stored approval request keeps each requirement's deny quorum, through a reopen and
/// through votes applied inside the store's transaction.
@Suite struct ApprovalRequestDenyQuorumStoreTests {
    static let t0 = Instant(millisecondsSince1970: 1_795_600_000_000)
    static let groups = ["finance-leads": ApproverGroup(name: "finance-leads", claim: "groups", claimValue: "finance-leads")]

    static func lead(_ name: String) -> Approver {
        Approver(name: name, claims: ["groups": .list([.string("finance-leads")])])
    }

    static func request() -> ApprovalRequest {
        ApprovalRequest(
            id: "r-deny-quorum", authReqIDHash: [7, 7], clientID: "agent", subject: "alice", subjectIssuer: "https://idp.example.com",
            actor: nil, authorizationDetails: [["type": "refund", "amount": 250]], audience: "https://api.example.com", scopes: [],
            approvals: [
                ApprovalRequirement(approver: .group("finance-leads"), quorum: 2, denyQuorum: 2),
                ApprovalRequirement(approver: .subject),
            ],
            grant: GrantTerms(ttl: 300, oneTime: true), ruleNames: ["large-refunds"], createdAt: t0, expiresAt: t0 + .milliseconds(900_000))
    }

    @Test func theDenyQuorumSurvivesAReopenAndDecidesTheStoredVotes() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let store = try await SQLiteStore.open(path: path)
            _ = try await store.create(Self.request(), audit: [], notifications: [], claim: nil)
            await store.close()

            let again = try await SQLiteStore.open(path: path)
            let read = try #require(try await again.approvalRequest(id: "r-deny-quorum"))
            #expect(read == Self.request())
            #expect(read.approvals.map(\.denyQuorum) == [2, 1])

            let first = try await again.update(id: "r-deny-quorum", claim: nil) { r in
                ApprovalUpdate(
                    try r.cast(.deny, reason: "odd", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1)))
            }.request
            #expect(first.state == .pending)
            let stored = try #require(try await again.approvalRequest(id: "r-deny-quorum"))
            #expect(stored.state == .pending && stored.votes.map(\.verdict) == [.deny] && stored.votes.first?.requirements == [0])
            let second = try await again.update(id: "r-deny-quorum", claim: nil) { r in
                ApprovalUpdate(
                    try r.cast(.deny, reason: "agreed", by: Self.lead("gita"), groups: Self.groups, now: Self.t0 + .milliseconds(2)))
            }.request
            #expect(second.state == .denied)
            #expect(try await again.approvalRequest(id: "r-deny-quorum")?.state == .denied)
            await again.close()
        }
    }
}
