import AsyncHTTPClient
import CountersignOAuth
import NIOCore
import NIOHTTP1

/// POSTs notifications (CIBA pings and pushes, webhooks) with async-http-client: one POST per
/// attempt, a 5-second deadline, redirects never followed (a 3xx is the endpoint's answer),
/// non-public addresses refused unless the operator allows private callbacks.
public final class HTTPNotificationSender: ClientNotificationSending {
    let client: HTTPClient
    let check: OutboundAddressCheck
    let deadline: TimeAmount

    public init(allowPrivate: Bool, timeout: TimeAmount = .seconds(5)) {
        let configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.check = OutboundAddressCheck(allowPrivate: allowPrivate)
        self.deadline = timeout
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func send(_ notification: ClientNotification) async -> DeliveryResult {
        await post(
            notification.endpoint, headers: [("Authorization", "Bearer \(notification.bearerToken)")], body: notification.body)
    }

    public func problem(reaching endpoint: String) async -> String? {
        await check.problem(with: endpoint)
    }

    /// One JSON POST.
    func post(_ url: String, headers: [(String, String)], body: [UInt8]) async -> DeliveryResult {
        if let problem = await check.problem(with: url) { return .refused(problem) }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Countersign")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            // Only the status counts; the body is never read (a receiver dripping it slowly
            // would hold the delivery past any deadline) and is dropped with the response.
            let response = try await client.execute(request, deadline: .now() + deadline)
            let status = Int(response.status.code)
            switch status {
            case 200..<300: return .delivered(status: status)
            case 500..<600, 429: return .failed("answered \(status)", status: status)
            default: return .rejected(status: status)
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
