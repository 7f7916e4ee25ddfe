import CountersignCore
import Testing

/// A rule's `deny_quorum`: the distinct eligible denials, counted per requirement like
/// approvals, that end a request as denied. Below it a denial is recorded and the request stays
/// open; approvals can still carry it.
@Suite struct DenyQuorumTests {
    static let t0 = ApprovalLifecycleTests.t0
    static let groups = ApprovalLifecycleTests.groups

    static func request(
        _ approvals: [ApprovalRequirement] = [
            ApprovalRequirement(approver: .group("finance-leads"), quorum: 2, denyQuorum: 2)
        ]
    ) -> ApprovalRequest {
        ApprovalLifecycleTests.request(approvals)
    }

    static func lead(_ name: String) -> Approver { ApprovalLifecycleTests.lead(name) }

    @Test func theFirstDenyKeepsItPendingAndASecondDistinctEligibleDenyDeniesIt() throws {
        var r = Self.request()
        let first = try r.cast(.deny, reason: "looks odd", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        #expect(first.from == .pending && first.to == .pending && r.state == .pending && r.decidedAt == nil)
        #expect(first.audit.map(\.type) == ["approval.voted"])
        #expect(first.audit.first?.data["verdict"] == "deny")
        let second = try r.cast(.deny, reason: "agreed", by: Self.lead("gita"), groups: Self.groups, now: Self.t0 + .milliseconds(2))
        #expect(second.to == .denied && r.state == .denied && r.decidedAt == Self.t0 + .milliseconds(2))
        #expect(second.audit.map(\.type) == ["approval.voted", "approval.denied"])
        #expect(second.audit.last?.data["deniers"] == ["fiona", "gita"])
        #expect(second.audit.last?.data["approvers"] == [])
    }

    @Test func theRequestersAndANonMembersDenialsAreRefusedAndNotCounted() throws {
        var r = Self.request()
        #expect(throws: ApprovalRefusal(.forbidden, "you requested this action; someone else must approve it")) {
            try r.cast(.deny, reason: "no", by: Self.lead("alice"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
        #expect(throws: ApprovalRefusal(.forbidden, "you are not in group finance-leads")) {
            try r.cast(.deny, reason: "no", by: Approver(name: "mallory"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
        #expect(r.votes.isEmpty)
        let t = try r.cast(.deny, reason: "no", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(2))
        #expect(t.to == .pending)
    }

    @Test func anApproverWhoDeniedCannotThenApprove() throws {
        var r = Self.request()
        _ = try r.cast(.deny, reason: "no", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1000))
        #expect(throws: ApprovalRefusal(.conflict, "you already denied at 2026-11-25T09:46:41Z")) {
            try r.cast(.approve, reason: "changed my mind", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(2000))
        }
        #expect(r.votes.count == 1 && r.state == .pending)
    }

    @Test func approvalsStillReachTheQuorumAfterOneDenial() throws {
        var r = Self.request()
        _ = try r.cast(.deny, reason: "unsure", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        #expect(
            try r.cast(.approve, reason: "fine", by: Self.lead("gita"), groups: Self.groups, now: Self.t0 + .milliseconds(2)).to == .pending
        )
        let t = try r.cast(.approve, reason: "fine", by: Self.lead("hugo"), groups: Self.groups, now: Self.t0 + .milliseconds(3))
        #expect(t.to == .approved && t.audit.last?.data["approvers"] == ["gita", "hugo"])
        // The token names only those who approved.
        #expect(try #require(r.approvalClaim).objectValue?["approvers"] == ["gita", "hugo"])
    }

    @Test func anyRequirementReachingItsDenyQuorumDeniesTheRequest() throws {
        var r = Self.request([
            ApprovalRequirement(approver: .group("finance-leads"), denyQuorum: 2),
            ApprovalRequirement(approver: .group("security")),
        ])
        #expect(
            try r.cast(.deny, reason: "no", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1)).to == .pending)
        #expect(
            try r.cast(.deny, reason: "no", by: Approver(name: "carol"), groups: Self.groups, now: Self.t0 + .milliseconds(2)).to == .denied
        )
    }

    @Test func oneDenialCountsForEveryRequirementItsVoterIsEligibleFor() throws {
        var r = Self.request([
            ApprovalRequirement(approver: .group("finance-leads"), denyQuorum: 2),
            ApprovalRequirement(approver: .group("security"), denyQuorum: 2),
        ])
        // carol is in security by name and a finance lead by claim: her denial counts twice over.
        let carol = Approver(name: "carol", claims: ["groups": .list([.string("finance-leads")])])
        let first = try r.cast(.deny, reason: "no", by: carol, groups: Self.groups, now: Self.t0 + .milliseconds(1))
        #expect(first.to == .pending && first.audit.first?.data["counts_for"] == ["group finance-leads", "group security"])
        #expect(r.distinctVoters(.deny, for: 0) == 1 && r.distinctVoters(.deny, for: 1) == 1)
        // dave completes security's deny quorum.
        #expect(
            try r.cast(.deny, reason: "no", by: Approver(name: "dave"), groups: Self.groups, now: Self.t0 + .milliseconds(2)).to == .denied)
    }

    @Test func aStoredRequirementWithoutADenyQuorumReadsAsOneDenyEndsIt() throws {
        let old: JSONValue = ["group": "finance-leads", "quorum": 2, "expires_in": 900]
        #expect(ApprovalRequirement(json: old) == ApprovalRequirement(approver: .group("finance-leads"), quorum: 2, expiresIn: 900))
        let now = ApprovalRequirement(approver: .group("finance-leads"), quorum: 2, denyQuorum: 3)
        #expect(now.json.objectValue?["deny_quorum"] == 3)
        #expect(ApprovalRequirement(json: now.json) == now)
        #expect(ApprovalRequirement(json: ["group": "g", "quorum": 1, "expires_in": 900, "deny_quorum": 0]) == nil)
    }

    @Test func aStoredRequestWithAnUnreadableRequirementDoesNotReadAtAll() {
        let r = Self.request()
        guard case .object(var details) = r.detailsJSON else {
            Issue.record("details are not an object")
            return
        }
        details["approvals"] = [["group": "finance-leads", "quorum": 2, "deny_quorum": "two", "expires_in": 900]]
        let read = ApprovalRequest(
            id: r.id, authReqIDHash: r.authReqIDHash, clientID: r.clientID, state: r.state, details: .object(details),
            createdAt: r.createdAt, expiresAt: r.expiresAt, votes: [], decidedAt: nil, redeemedAt: nil, tokenID: nil)
        #expect(read == nil)
    }
}
