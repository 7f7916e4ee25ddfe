import CountersignCore

/// Outgoing webhooks and their delivery log.
public protocol WebhookStore: Sendable {
    /// Adds a webhook with its audit event.
    func create(_ webhook: Webhook, audit: AuditRecord) async throws
    /// Every webhook, oldest first.
    func webhooks() async throws -> [Webhook]
    /// The webhook with this id, or nil: what a delivery attempt reads.
    func webhook(id: String) async throws -> Webhook?
    /// `StoreError.notFound` when there is no such webhook.
    func deleteWebhook(id: String, audit: AuditRecord) async throws
    /// Logs one delivery attempt (not an audit event).
    func recordDelivery(_ delivery: WebhookDelivery) async throws
    /// The newest deliveries first.
    func deliveries(limit: Int) async throws -> [WebhookDelivery]
}
