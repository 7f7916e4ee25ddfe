import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging

/// Sends approval changes to the webhooks of the groups that must approve (approvers
/// are notified by SSE and webhook). The change writes one outbox row per webhook
/// (`NotificationPlan`); this makes each attempt at one: the event signed
/// (`Countersign-Signature`, see `Webhook.signature`) anew with the time of sending, the row's
/// id as `Countersign-Delivery` (the same on every retry), and the attempt written to the
/// delivery log (`countersign webhook deliveries`). The outbox worker retries with exponential
/// backoff (`retryDelays`) while the receiver fails (no answer, 5xx, 429); a 3xx or other 4xx is
/// final. Delivery never holds up the vote that caused it.
struct WebhookNotifier: Sendable {
    let store: any WebhookStore
    let sender: HTTPNotificationSender
    let serverKey: ServerKey
    let clock: any WallClock
    let logger: Logger
    /// Waits before each further attempt: 1, 2, 4, 8, 16 seconds.
    var retryDelays: [Duration] = [1, 2, 4, 8, 16].map { .seconds($0) }

    /// One attempt at a webhook outbox row about `request`.
    func attempt(_ delivery: OutboxDelivery, request: ApprovalRequest) async -> DeliveryResult {
        let hook: Webhook
        do {
            guard let id = delivery.webhookID, let found = try await store.webhook(id: id) else {
                return .refused("the webhook was deleted")
            }
            hook = found
        } catch {
            return .failed("reading the webhook failed: \(error)")
        }
        guard let secret = SealedSecret.open(hook.sealedSecret, purpose: hook.secretPurpose, serverKey: serverKey) else {
            logger.error("webhook secret does not open with this server key", metadata: ["webhook": "\(hook.id)"])
            return .refused("the webhook secret does not open with this server key")
        }
        let kind = ApprovalChange.Kind(eventName: delivery.event) ?? .decided
        let now = clock.now()
        let body = WebhookMessage.body(ApprovalChange(kind: kind, request: request), format: hook.format, eventID: delivery.id, now: now)
        let headers = [
            ("Countersign-Signature", Webhook.signature(secret: secret, timestamp: now.secondsSince1970, body: body)),
            ("Countersign-Event", delivery.event), ("Countersign-Delivery", delivery.id),
        ]
        let result = await sender.post(hook.url, headers: headers, body: body)
        let (status, error): (Int?, String?) =
            switch result {
            case .delivered(let status): (status, nil)
            case .rejected(let status): (status, "refused; not retried")
            case .failed(let why, let status): (status, why)
            case .refused(let why): (nil, why)
            }
        try? await store.recordDelivery(
            WebhookDelivery(
                webhookID: hook.id, event: delivery.event, requestID: request.id, attempt: delivery.attempts + 1,
                status: status, error: error.map { String($0.prefix(300)) }, at: clock.now()))
        if case .delivered = result {
        } else {
            logger.warning(
                "webhook delivery failed",
                metadata: ["webhook": "\(hook.id)", "attempt": "\(delivery.attempts + 1)", "why": "\(error ?? "")"])
        }
        return result
    }
}
