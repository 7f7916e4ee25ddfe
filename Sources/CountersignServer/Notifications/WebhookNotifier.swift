import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging

/// Sends approval changes to the webhooks of the groups that must approve (DESIGN.md: approvers
/// are notified by SSE and webhook). Each event is signed (`Countersign-Signature`, see
/// `Webhook.signature`) and retried with exponential backoff while the receiver fails (no
/// answer, 5xx, 429); a 3xx or other 4xx is final. Every attempt goes to the delivery log
/// (`countersign webhook deliveries`). Delivery never holds up the vote that caused it.
struct WebhookNotifier: Sendable {
    let store: any WebhookStore
    let sender: HTTPNotificationSender
    let serverKey: ServerKey
    let clock: @Sendable () -> Int64
    let logger: Logger
    /// Waits before each further attempt: 1, 2, 4, 8, 16 seconds.
    var retryDelays: [Duration] = [1, 2, 4, 8, 16].map { .seconds($0) }

    func observe(_ change: ApprovalChange) {
        guard WebhookMessage.isSent(change) else { return }
        Task { await deliver(change) }
    }

    func deliver(_ change: ApprovalChange) async {
        let hooks: [Webhook]
        do { hooks = try await store.webhooks().filter { $0.covers(change.request.approvals) } } catch {
            logger.warning("reading webhooks failed", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for hook in hooks { group.addTask { await send(change, to: hook) } }
        }
    }

    func send(_ change: ApprovalChange, to hook: Webhook) async {
        guard let secret = SealedSecret.open(hook.sealedSecret, purpose: hook.secretPurpose, serverKey: serverKey) else {
            logger.error("webhook secret does not open with this server key", metadata: ["webhook": "\(hook.id)"])
            return
        }
        let eventID = WebhookMessage.newEventID()
        let body = WebhookMessage.body(change, format: hook.format, eventID: eventID, now: clock())
        var attempt = 1
        while true {
            // Signed anew for each attempt: the timestamp is when it was sent.
            let now = clock()
            let headers = [
                ("Countersign-Signature", Webhook.signature(secret: secret, timestamp: now / 1000, body: body)),
                ("Countersign-Event", change.eventName), ("Countersign-Delivery", eventID),
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
                    webhookID: hook.id, event: change.eventName, requestID: change.request.id, attempt: attempt,
                    status: status, error: error.map { String($0.prefix(300)) }, at: clock()))
            guard case .failed = result, attempt <= retryDelays.count else {
                if case .delivered = result { return }
                logger.warning(
                    "webhook delivery failed", metadata: ["webhook": "\(hook.id)", "attempt": "\(attempt)", "why": "\(error ?? "")"])
                return
            }
            do { try await Task.sleep(for: retryDelays[attempt - 1]) } catch { return }
            attempt += 1
        }
    }
}
