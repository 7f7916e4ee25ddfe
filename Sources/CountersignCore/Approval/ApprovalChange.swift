/// A committed change of an approval request, as the notifiers see it.
public struct ApprovalChange: Sendable {
    /// What happened to the request (docs/APPROVALS.md).
    public enum Kind: String, Sendable {
        /// A new request (pending, or approved at once for a backchannel request).
        case requested
        /// A vote that did not decide it.
        case voted
        /// Approved, denied, expired or cancelled.
        case decided
        /// Its token was issued.
        case redeemed
    }

    /// What kind of change this is.
    public var kind: Kind
    /// The request as the change left it.
    public var request: ApprovalRequest
    /// The outbox rows the change wrote and this process claimed: its deliverer makes their
    /// first attempt at once (none for a change another process made).
    public var deliveries: [OutboxDelivery]

    /// A change as the service publishes it after its commit.
    public init(kind: Kind, request: ApprovalRequest, deliveries: [OutboxDelivery] = []) {
        self.kind = kind
        self.request = request
        self.deliveries = deliveries
    }

    /// The name of the server-sent event and webhook event.
    public var eventName: String { "approval.\(kind.rawValue)" }
}

extension ApprovalChange.Kind {
    /// The kind an event name (`ApprovalChange.eventName`) stands for.
    public init?(eventName: String) {
        guard eventName.hasPrefix("approval.") else { return nil }
        self.init(rawValue: String(eventName.dropFirst("approval.".count)))
    }
}
