import CountersignCore
import Testing

/// Which outbox rows an approval change writes: the client hears of a settled request once
/// (CIBA §10), webhooks of the request's groups hear of new requests and outcomes.
@Suite struct NotificationPlanTests {
    static let t0 = Instant(millisecondsSince1970: 1_795_600_000_000)

    static func request(
        _ state: ApprovalRequest.State, mode: BackchannelDelivery.Mode? = .ping, decidedAt: Instant? = nil
    ) -> ApprovalRequest {
        ApprovalRequest(
            id: "r1", authReqIDHash: [1], clientID: "bot", subject: "bob", subjectIssuer: nil, actor: nil,
            authorizationDetails: [["type": "refund"]], audience: "https://api.example.com", scopes: [],
            approvals: [ApprovalRequirement(approver: .group("finance-leads"), quorum: 2), ApprovalRequirement(approver: .subject)],
            grant: GrantTerms(ttl: 60, oneTime: false), ruleNames: ["r"], state: state, createdAt: t0,
            expiresAt: t0 + .milliseconds(60_000), decidedAt: decidedAt,
            delivery: mode.map {
                BackchannelDelivery(mode: $0, endpoint: "https://bot.example/cb", sealedNotificationToken: [1], sealedAuthReqID: [2])
            })
    }

    static func plan(_ kind: ApprovalChange.Kind, _ request: ApprovalRequest) -> [NotificationIntent] {
        NotificationPlan.intents(for: ApprovalChange(kind: kind, request: request))
    }

    static func hooks(_ event: String) -> NotificationIntent {
        NotificationIntent(kind: .webhook, event: event, groups: ["finance-leads"])
    }

    @Test func aNewPendingRequestGoesToItsGroupsWebhooksAndNotToTheClient() {
        #expect(Self.plan(.requested, Self.request(.pending)) == [Self.hooks("approval.requested")])
    }

    @Test func aRequestAllowedAtOnceTellsOnlyTheClient() {
        #expect(Self.plan(.requested, Self.request(.approved)) == [NotificationIntent(kind: .ping, event: "approval.requested")])
    }

    @Test(arguments: [ApprovalRequest.State.approved, .denied, .cancelled])
    func anOutcomeTellsThePushClientAndTheWebhooks(state: ApprovalRequest.State) {
        #expect(
            Self.plan(.decided, Self.request(state, mode: .push, decidedAt: Self.t0 + .milliseconds(1)))
                == [NotificationIntent(kind: .push, event: "approval.decided"), Self.hooks("approval.decided")])
    }

    @Test func anExpiryTellsAClientThatWaitedButNotOneAlreadyToldOfItsApproval() {
        let waited = Self.request(.expired, decidedAt: Self.t0 + .milliseconds(60_000))
        #expect(Self.plan(.decided, waited).map(\.kind) == [.ping, .webhook])
        let approvedThenExpired = Self.request(.expired, decidedAt: Self.t0 + .milliseconds(1))
        #expect(Self.plan(.decided, approvedThenExpired).map(\.kind) == [.webhook])
    }

    @Test func votesRedemptionsAndPollClientsTellNoClient() {
        #expect(Self.plan(.voted, Self.request(.pending)).isEmpty)
        #expect(Self.plan(.redeemed, Self.request(.redeemed, mode: .push)).isEmpty)
        #expect(Self.plan(.decided, Self.request(.denied, mode: nil, decidedAt: Self.t0)) == [Self.hooks("approval.decided")])
    }
}
