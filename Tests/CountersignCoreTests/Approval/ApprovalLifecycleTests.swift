import CountersignCore
import Testing

@Suite struct ApprovalLifecycleTests {
    static let t0 = Instant(millisecondsSince1970: 1_795_600_000_000)
    static let groups: [String: ApproverGroup] = [
        "finance-leads": ApproverGroup(name: "finance-leads", claim: "groups", claimValue: "finance-leads"),
        "security": ApproverGroup(name: "security", members: ["carol", "dave"]),
    ]

    static func request(
        _ approvals: [ApprovalRequirement] = [ApprovalRequirement(approver: .group("finance-leads"), quorum: 2, reasonRequired: true)],
        subject: String = "alice", issuer: String? = "https://idp.example.com", actor: JSONValue? = nil,
        aliases: [String] = ["alice@example.com"]
    ) -> ApprovalRequest {
        ApprovalRequest(
            id: "r1", authReqIDHash: [1], clientID: "agent", subject: subject, subjectIssuer: issuer, actor: actor,
            authorizationDetails: [["type": "refund", "amount": 250]], audience: "https://api.example.com", scopes: [],
            approvals: approvals, grant: GrantTerms(ttl: 300, oneTime: true), ruleNames: ["large-refunds"], createdAt: t0,
            expiresAt: t0 + .milliseconds(900_000), subjectAliases: aliases)
    }

    static func lead(_ name: String, aliases: [String] = [], email: String? = nil) -> Approver {
        var claims: [String: PolicyValue] = ["groups": .list([.string("finance-leads")])]
        if let email { claims["email"] = .string(email) }
        return Approver(name: name, claims: claims, aliases: aliases)
    }

    @Test func twoDistinctLeadsApproveAndTheRequestIsApproved() throws {
        var r = Self.request()
        let first = try r.cast(
            .approve, reason: "customer called", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        #expect(first.to == .pending && r.state == .pending)
        #expect(first.audit.map(\.type) == ["approval.voted"])
        let second = try r.cast(.approve, reason: "ok", by: Self.lead("gita"), groups: Self.groups, now: Self.t0 + .milliseconds(2))
        #expect(second.from == .pending && second.to == .approved && r.state == .approved)
        #expect(second.audit.map(\.type) == ["approval.voted", "approval.approved"])
        #expect(r.decidedAt == Self.t0 + .milliseconds(2))
    }

    @Test(arguments: [
        Approver(name: "alice", claims: ["groups": .list([.string("finance-leads")])]),
        Approver(name: "ALICE ", claims: ["groups": .list([.string("finance-leads")])]),
        Approver(name: "a.smith", claims: ["groups": .list([.string("finance-leads")]), "email": .string("Alice@Example.com")]),
        Approver(name: "a.smith", claims: ["groups": .list([.string("finance-leads")])], aliases: ["https://idp.example.com#alice"]),
    ])
    func quorumIgnoresTheRequestersOwnApprovalUnderAnyName(approver: Approver) {
        var r = Self.request()
        #expect(throws: ApprovalRefusal(.forbidden, "you requested this action; someone else must approve it")) {
            try r.cast(.approve, reason: "mine", by: approver, groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
        #expect(r.votes.isEmpty && r.state == .pending)
    }

    @Test func theActorThatAskedCannotApproveEither() {
        var r = Self.request(actor: ["sub": "agent-bot"])
        #expect(throws: ApprovalRefusal.self) {
            try r.cast(.approve, reason: "x", by: Self.lead("agent-bot"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
    }

    @Test func aNonMemberIsToldWhichGroupTheyAreNotIn() {
        var r = Self.request()
        #expect(throws: ApprovalRefusal(.forbidden, "you are not in group finance-leads")) {
            try r.cast(.approve, reason: "x", by: Approver(name: "mallory"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
    }

    @Test func anApproverVotesOnce() throws {
        var r = Self.request()
        _ = try r.cast(.approve, reason: "yes", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1000))
        #expect(throws: ApprovalRefusal(.conflict, "you already approved at 2026-11-25T09:46:41Z")) {
            try r.cast(.approve, reason: "again", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(2000))
        }
        #expect(r.votes.count == 1 && r.state == .pending)
    }

    @Test func oneDenyEndsIt() throws {
        var r = Self.request()
        _ = try r.cast(.approve, reason: "yes", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        let t = try r.cast(.deny, reason: "fraud pattern", by: Self.lead("gita"), groups: Self.groups, now: Self.t0 + .milliseconds(2))
        #expect(t.to == .denied && t.audit.map(\.type) == ["approval.voted", "approval.denied"])
        #expect(throws: ApprovalRefusal.self) {
            try r.cast(.approve, reason: "late", by: Self.lead("hugo"), groups: Self.groups, now: Self.t0 + .milliseconds(3))
        }
    }

    @Test func aReasonIsRequiredWhereTheRuleSaysSo() throws {
        var r = Self.request()
        #expect(throws: ApprovalRefusal(.invalid, "a reason is required to decide this request")) {
            try r.cast(.approve, reason: "   ", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
        var lenient = Self.request([ApprovalRequirement(approver: .group("security"))])
        let t = try lenient.cast(.approve, reason: nil, by: Approver(name: "carol"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        #expect(t.to == .approved)
    }

    @Test func aVoteAfterExpiryIsRefusedWithTheTime() {
        var r = Self.request()
        #expect(r.state(at: Self.t0 + .milliseconds(900_000)) == .expired)
        #expect(throws: ApprovalRefusal(.conflict, "this request expired at 2026-11-25T10:01:40Z")) {
            try r.cast(.approve, reason: "late", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(900_000))
        }
        let t = r.expire(now: Self.t0 + .milliseconds(900_000))
        #expect(t?.to == .expired && r.expire(now: Self.t0 + .milliseconds(900_001)) == nil)
    }

    @Test func anApprovedRequestIsRedeemedOnce() throws {
        var r = Self.request([ApprovalRequirement(approver: .group("security"))])
        #expect(throws: ApprovalRefusal(.conflict, "this request is still pending")) {
            try r.redeem(tokenID: "j0", now: Self.t0 + .milliseconds(1))
        }
        _ = try r.cast(.approve, reason: nil, by: Approver(name: "dave"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        let t = try r.redeem(tokenID: "j1", now: Self.t0 + .milliseconds(2))
        #expect(t.to == .redeemed && r.tokenID == "j1")
        #expect(throws: ApprovalRefusal.self) { try r.redeem(tokenID: "j2", now: Self.t0 + .milliseconds(3)) }
        #expect(r.tokenID == "j1")
    }

    @Test func onlyTheSubjectConfirmsASubjectApproval() throws {
        var r = Self.request([ApprovalRequirement(approver: .subject)], actor: ["sub": "agent-bot"])
        #expect(throws: ApprovalRefusal(.forbidden, "only alice, who asked for this action, can confirm it")) {
            try r.cast(.approve, reason: nil, by: Approver(name: "carol"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
        #expect(throws: ApprovalRefusal.self) {
            try r.cast(.approve, reason: nil, by: Approver(name: "agent-bot"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
        let owner = Approver(name: "a.smith", aliases: ["https://idp.example.com#alice"])
        #expect(try r.cast(.approve, reason: nil, by: owner, groups: Self.groups, now: Self.t0 + .milliseconds(1)).to == .approved)
    }

    @Test func aLocalNamesakeOfAFederatedSubjectCannotConfirm() {
        var r = Self.request([ApprovalRequirement(approver: .subject)])
        for impostor in [
            Approver(name: "alice"), Approver(name: "ALICE "),
            Approver(name: "alice", aliases: ["https://other-idp.example.com#alice"]),
            Approver(name: "alice", claims: ["email": .string("https://idp.example.com#alice")]),
        ] {
            #expect(throws: ApprovalRefusal(.forbidden, "only alice, who asked for this action, can confirm it")) {
                try r.cast(.approve, reason: nil, by: impostor, groups: Self.groups, now: Self.t0 + .milliseconds(1))
            }
        }
        #expect(r.state == .pending && r.votes.isEmpty)
    }

    @Test func theFederatedOwnersAliasIsComparedExactlyNotFolded() throws {
        // `sub` is case-sensitive (OpenID Connect Core §5.7): ` HTTPS://IDP.example.com#Alice`
        // names someone else, and may not confirm for alice.
        var r = Self.request([ApprovalRequirement(approver: .subject)])
        let other = Approver(name: "a.smith", aliases: [" HTTPS://IDP.example.com#Alice"])
        #expect(r.eligibleRequirements(for: other, groups: Self.groups).isEmpty)
        let owner = Approver(name: "a.smith", aliases: ["https://idp.example.com#alice"])
        #expect(try r.cast(.approve, reason: nil, by: owner, groups: Self.groups, now: Self.t0 + .milliseconds(1)).to == .approved)
    }

    @Test func aClientActingAsItselfHasNoOneToConfirmForIt() throws {
        // No issuer: the subject is a client (client_credentials). A user who shares its id is
        // not that client, and no alias makes anyone it.
        var r = Self.request([ApprovalRequirement(approver: .subject)], issuer: nil)
        for approver in [Approver(name: "alice"), Approver(name: "Alice"), Approver(name: "bob", aliases: ["alice"])] {
            #expect(r.eligibleRequirements(for: approver, groups: Self.groups).isEmpty, "\(approver.name)")
            #expect(throws: ApprovalRefusal.self) {
                try r.cast(.approve, reason: nil, by: approver, groups: Self.groups, now: Self.t0 + .milliseconds(1))
            }
        }
        #expect(r.state == .pending)
    }

    @Test func anActorForTheFederatedOwnerCannotConfirmEvenCarryingTheAlias() {
        let r = Self.request([ApprovalRequirement(approver: .subject)], actor: ["sub": "agent-bot"])
        let actor = Approver(name: "agent-bot", aliases: ["https://idp.example.com#alice"])
        #expect(r.eligibleRequirements(for: actor, groups: Self.groups).isEmpty)
    }

    @Test func membershipIsJudgedAtVoteTime() {
        var r = Self.request()
        let formerLead = Approver(name: "fiona", claims: ["groups": .list([.string("sales")])])
        #expect(throws: ApprovalRefusal(.forbidden, "you are not in group finance-leads")) {
            try r.cast(.approve, reason: "x", by: formerLead, groups: Self.groups, now: Self.t0 + .milliseconds(1))
        }
    }

    @Test func theApprovalClaimCarriesDigestsNotReasons() throws {
        var r = Self.request()
        _ = try r.cast(.approve, reason: "customer called", by: Self.lead("fiona"), groups: Self.groups, now: Self.t0 + .milliseconds(1))
        _ = try r.cast(.approve, reason: "ok", by: Self.lead("gita"), groups: Self.groups, now: Self.t0 + .milliseconds(2000))
        let claim = try #require(r.approvalClaim)
        #expect(claim.objectValue?["approvers"] == ["fiona", "gita"])
        #expect(!CanonicalJSON.exactString(claim).contains("customer called"))
        #expect(claim.objectValue?["reasons"]?.arrayValue?.first?.stringValue?.count == 64)
    }

    @Test func theStoredFormReadsBack() {
        let r = Self.request(actor: ["sub": "agent-bot"])
        let back = ApprovalRequest(
            id: r.id, authReqIDHash: r.authReqIDHash, clientID: r.clientID, state: r.state, details: r.detailsJSON,
            createdAt: r.createdAt, expiresAt: r.expiresAt, votes: [], decidedAt: nil, redeemedAt: nil, tokenID: nil)
        #expect(back == r)
    }

    @Test func aBackchannelRequestReadsBackWithItsDeliveryAndBindingMessage() {
        var r = Self.request()
        r.bindingMessage = "refund 4711"
        r.delivery = BackchannelDelivery(
            mode: .push, endpoint: "https://client.example/cb", sealedNotificationToken: [1, 2, 3], sealedAuthReqID: [4, 5])
        let back = ApprovalRequest(
            id: r.id, authReqIDHash: r.authReqIDHash, clientID: r.clientID, state: r.state, details: r.detailsJSON,
            createdAt: r.createdAt, expiresAt: r.expiresAt, votes: [], decidedAt: nil, redeemedAt: nil, tokenID: nil)
        #expect(back == r)
    }

    @Test func aRequestNobodyHadToApproveCarriesNoApprovalClaim() {
        var r = Self.request()
        r.approvals = []
        r.state = .approved
        #expect(r.approvalClaim == nil)
    }
}
