import CountersignOAuth

/// POSTs notifications (CIBA pings and pushes, webhooks) on the server's `OutboundHTTPClient`:
/// one POST per attempt to a URL checked as a callback (`OutboundURLPolicy`: https and public
/// addresses only unless the operator allows private callbacks), a 5-second deadline,
/// redirects never followed (a 3xx is the endpoint's answer), the answer's body never read.
public struct HTTPNotificationSender: ClientNotificationSending {
    let client: OutboundHTTPClient

    /// A sender on the server's one outbound client.
    public init(client: OutboundHTTPClient) {
        self.client = client
    }

    /// POSTs the notification with its bearer token, one attempt.
    public func send(_ notification: ClientNotification) async -> DeliveryResult {
        await post(
            notification.endpoint, headers: [("Authorization", "Bearer \(notification.bearerToken)")], body: notification.body)
    }

    /// Why the endpoint may not be called as a callback (`OutboundURLPolicy`), or nil.
    public func problem(reaching endpoint: String) async -> String? {
        await client.policy.problem(with: endpoint, for: .callback)?.description
    }

    /// One JSON POST: 2xx delivered; 5xx and 429 failed (tried again); any other answer rejected.
    func post(_ url: String, headers: [(String, String)], body: [UInt8]) async -> DeliveryResult {
        switch await client.post(url, as: .callback, headers: headers, body: body) {
        case .success(let status):
            switch status {
            case 200..<300: return .delivered(status: status)
            case 500..<600, 429: return .failed("answered \(status)", status: status)
            default: return .rejected(status: status)
            }
        case .failure(.refused(let refusal)):
            return .refused(refusal.description)
        case .failure(let failure):
            return .failed(failure.description)
        }
    }
}
