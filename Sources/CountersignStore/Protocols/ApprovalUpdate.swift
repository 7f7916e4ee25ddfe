import CountersignCore

/// What one step of an approval request's state machine asks the store to commit with the
/// changed request, all in one transaction: its audit records, the notifications it calls for
/// (outbox rows) and, when a push redeems the request, the sealed token response to keep.
public struct ApprovalUpdate: Sendable {
    public var audit: [AuditRecord]
    public var notifications: [NotificationIntent]
    public var payloads: [OutboxPayload]

    public init(audit: [AuditRecord], notifications: [NotificationIntent] = [], payloads: [OutboxPayload] = []) {
        self.audit = audit
        self.notifications = notifications
        self.payloads = payloads
    }
}
