import CountersignCore

/// What one step of an approval request's state machine asks the store to commit with the
/// changed request, all in one transaction: its audit records, the notifications it calls for
/// (outbox rows) and, when a push redeems the request, the sealed token response to keep.
public struct ApprovalUpdate: Sendable {
    /// The audit records of the step, appended in its transaction.
    public var audit: [AuditRecord]
    /// The notifications it calls for: outbox rows.
    public var notifications: [NotificationIntent]
    /// Token responses to keep with their (push) outbox rows.
    public var payloads: [OutboxPayload]
    /// The change other processes' listeners hear of (a row of the change feed), if any.
    public var change: ApprovalChange.Kind?

    /// What a step commits; by default no notification, payload or feed row.
    public init(
        audit: [AuditRecord], notifications: [NotificationIntent] = [], payloads: [OutboxPayload] = [],
        change: ApprovalChange.Kind? = nil
    ) {
        self.audit = audit
        self.notifications = notifications
        self.payloads = payloads
        self.change = change
    }
}

extension ApprovalUpdate {
    /// What a state-machine step (`ApprovalRequest.Transition`) asks to commit: its audit records
    /// followed by `alsoRecorded` (the `token.issued` of a redemption), its notifications, and
    /// the `payloads` to keep.
    public init(_ transition: ApprovalRequest.Transition, alsoRecorded: [AuditRecord] = [], payloads: [OutboxPayload] = []) {
        self.init(
            audit: transition.audit + alsoRecorded, notifications: transition.notifications, payloads: payloads,
            change: transition.change)
    }
}
