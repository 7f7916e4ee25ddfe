import AsyncHTTPClient
import CountersignOAuth
import NIOCore
import NIOHTTP1

/// Delivers CIBA pings and pushes with async-http-client: one POST per attempt, a 5-second
/// deadline, redirects never followed (a 3xx is the endpoint's answer, HOSTILE-TESTS 40),
/// non-public addresses refused unless the operator allows private callbacks.
final class HTTPNotificationSender: ClientNotificationSending {
    let client: HTTPClient
    let check: OutboundAddressCheck
    let deadline: TimeAmount

    init(allowPrivate: Bool, timeout: TimeAmount = .seconds(5)) {
        let configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.check = OutboundAddressCheck(allowPrivate: allowPrivate)
        self.deadline = timeout
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func send(_ notification: ClientNotification) async -> ClientNotification.Result {
        if let problem = await check.problem(with: notification.endpoint) { return .refused(problem) }
        var request = HTTPClientRequest(url: notification.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(notification.bearerToken)")
        request.body = .bytes(ByteBuffer(bytes: notification.body))
        do {
            let response = try await client.execute(request, deadline: .now() + deadline)
            // The answer's body is not read beyond a little, and not used.
            _ = try? await response.body.collect(upTo: 16 * 1024)
            let status = Int(response.status.code)
            switch status {
            case 200..<300: return .delivered(status: status)
            case 500..<600: return .failed("answered \(status)")
            default: return .rejected(status: status)
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
