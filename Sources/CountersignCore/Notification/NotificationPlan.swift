/// Which notifications an approval change calls for, decided where the change is made and
/// written to the outbox with it:
///
/// - the client, by CIBA ping or push (OpenID CIBA Core §10), once its request is settled:
///   approved (also allowed at once), denied, expired or cancelled. An approved request the
///   client was already told of, expiring unredeemed, is not announced again;
/// - every webhook of a group the request needs (and every `*` webhook): new requests waiting
///   for people (`approval.requested`) and outcomes (`approval.decided`).
public enum NotificationPlan {
    /// The outbox rows `change` calls for.
    public static func intents(for change: ApprovalChange) -> [NotificationIntent] {
        var intents: [NotificationIntent] = []
        let request = change.request
        if let delivery = request.delivery, delivery.mode != .poll, isSettled(change) {
            intents.append(NotificationIntent(kind: delivery.mode == .push ? .push : .ping, event: change.eventName))
        }
        if isSentToWebhooks(change) {
            let groups = request.approvals.compactMap { requirement -> String? in
                if case .group(let name) = requirement.approver { return name }
                return nil
            }
            intents.append(NotificationIntent(kind: .webhook, event: change.eventName, groups: groups))
        }
        return intents
    }

    /// Whether the client is told of this change (CIBA §10: the request is settled).
    static func isSettled(_ change: ApprovalChange) -> Bool {
        switch change.kind {
        case .requested: change.request.state == .approved
        case .decided:
            !(change.request.state == .expired && change.request.decidedAt.map { $0 < change.request.expiresAt } == true)
        case .voted, .redeemed: false
        }
    }
}

extension ApprovalChange.Kind {
    /// What a vote made of `request`: a vote while it is still pending, else its decision.
    public static func afterVote(on request: ApprovalRequest) -> Self {
        request.state == .pending ? .voted : .decided
    }
}

extension NotificationPlan {
    /// Which changes webhooks hear of: new requests waiting for people, and outcomes.
    public static func isSentToWebhooks(_ change: ApprovalChange) -> Bool {
        switch change.kind {
        case .requested: change.request.state == .pending
        case .decided: true
        case .voted, .redeemed: false
        }
    }
}
