import CountersignCore
import Testing

/// Every lifecycle event returns all its effects in one list: the audit records, then the
/// notifications its change calls for (CIBA ping or push once settled, OpenID CIBA Core §10;
/// webhooks for new requests and outcomes), and the change the listeners are told of. No
/// caller adds a notification by hand.
@Suite struct ApprovalTransitionEffectsTests {
    typealias L = ApprovalLifecycleTests

    static func pushRequest() -> ApprovalRequest {
        var request = L.request([ApprovalRequirement(approver: .group("finance-leads"), quorum: 1)])
        request.delivery = BackchannelDelivery(
            mode: .push, endpoint: "https://agent.example.com/cb", sealedNotificationToken: [1], sealedAuthReqID: [2])
        return request
    }

    static func notifications(_ transition: ApprovalRequest.Transition) -> [String] {
        transition.notifications.map { "\($0.kind.rawValue) \($0.event) \($0.groups)" }
    }

    @Test func openingAPendingRequestAnnouncesItToTheGroupsWebhooksOnly() {
        let opening = Self.pushRequest().opening(audit: [AuditRecord(type: "approval.requested", actor: "test", data: [:])])
        #expect(opening.change == .requested)
        #expect(opening.audit.map(\.type) == ["approval.requested"])
        #expect(Self.notifications(opening) == [#"webhook approval.requested ["finance-leads"]"#])
    }

    @Test func theDecidingVoteBringsItsAuditThenThePushAndTheWebhook() throws {
        var request = Self.pushRequest()
        let vote = try request.cast(.approve, reason: "fine", by: L.lead("fiona"), groups: L.groups, now: L.t0 + .seconds(1))
        #expect(vote.change == .decided)
        #expect(
            vote.effects.map { if case .audit(let r) = $0 { r.type } else { "notify" } }
                == ["approval.voted", "approval.approved", "notify", "notify"])
        #expect(Self.notifications(vote) == ["push approval.decided []", #"webhook approval.decided ["finance-leads"]"#])
    }

    @Test func aVoteThatDecidesNothingAndARedemptionNotifyNobody() throws {
        var request = L.request()
        let vote = try request.cast(.approve, reason: "fine", by: L.lead("fiona"), groups: L.groups, now: L.t0 + .seconds(1))
        #expect(vote.change == .voted && vote.notifications.isEmpty)
        _ = try request.cast(.approve, reason: "fine", by: L.lead("gita"), groups: L.groups, now: L.t0 + .seconds(2))
        let redemption = try request.redeem(tokenID: "jti-1", now: L.t0 + .seconds(3))
        #expect(redemption.change == .redeemed && redemption.notifications.isEmpty)
    }

    @Test func anApprovedPushRequestExpiringUnredeemedIsNotAnnouncedToTheClientAgain() throws {
        var request = Self.pushRequest()
        _ = try request.cast(.approve, reason: "fine", by: L.lead("fiona"), groups: L.groups, now: L.t0 + .seconds(1))
        let expired = request.expire(now: request.expiresAt + .seconds(1))
        let expiry = try #require(expired)
        #expect(expiry.change == .decided)
        #expect(Self.notifications(expiry) == [#"webhook approval.decided ["finance-leads"]"#])
    }
}
