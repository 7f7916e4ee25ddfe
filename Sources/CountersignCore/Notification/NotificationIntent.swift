/// A notification an approval change calls for, as the protocol decides it and hands it to the
/// store: the store writes one outbox row for it (`OutboxDelivery`), or for a webhook event one
/// row per webhook of `groups` (and per `*` webhook), in the transaction of the change.
public struct NotificationIntent: Sendable, Equatable {
    /// Ping, push or webhook.
    public var kind: OutboxDelivery.Kind
    /// `approval.requested` or `approval.decided`.
    public var event: String
    /// Webhooks only: the approver groups the request needs.
    public var groups: [String]

    /// An intent to notify; `groups` only for a webhook event.
    public init(kind: OutboxDelivery.Kind, event: String, groups: [String] = []) {
        self.kind = kind
        self.event = event
        self.groups = groups
    }
}
