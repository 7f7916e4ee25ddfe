import CountersignCore
import Logging

/// One HTTP POST to a client's notification endpoint (CIBA §10.2 ping, §10.3 push): JSON
/// `body`, `Authorization: Bearer <client_notification_token>`.
public struct ClientNotification: Sendable {
    public var endpoint: String
    public var bearerToken: String
    public var body: [UInt8]
    /// For logs: the approval request's public id and the mode.
    public var requestID: String
    public var mode: BackchannelDelivery.Mode
}

/// What one attempt to POST a notification (CIBA ping or push, webhook) came to.
public enum DeliveryResult: Sendable, Equatable {
    /// A 2xx answer.
    case delivered(status: Int)
    /// A 3xx or 4xx answer: never followed, never retried (CIBA §10.2; HOSTILE-TESTS 40).
    case rejected(status: Int)
    /// No answer, a 5xx or a 429: tried again later.
    case failed(String, status: Int? = nil)
    /// Not sent at all (a private address when those are not allowed).
    case refused(String)
}

/// Sends one notification; the server's is async-http-client on loopback and beyond.
public protocol ClientNotificationSending: Sendable {
    func send(_ notification: ClientNotification) async -> DeliveryResult
    /// Why `endpoint` may not be called (a non-public address, plain http), or nil.
    func problem(reaching endpoint: String) async -> String?
}

/// Tells ping and push clients about their requests' outcomes (OpenID CIBA Core §10): when a
/// request with a ping or push delivery is approved (or allowed at once), denied, expired or
/// cancelled, it POSTs to the endpoint the client registered, presenting the client's
/// `client_notification_token`. Ping says only `auth_req_id` (the client then polls); push
/// redeems the request and sends the token response itself, or the error (§12). The vote that
/// decided never waits for this: a slow or dead endpoint delays nothing but its own delivery,
/// and a ping client can always poll.
public struct BackchannelNotifier: Sendable {
    let grant: CIBAGrant
    let sender: any ClientNotificationSending
    let serverKey: ServerKey
    let logger: Logger
    /// Waits before each further attempt after a failure (no answer or 5xx).
    let retryDelays: [Duration]

    public init(
        grant: CIBAGrant, sender: any ClientNotificationSending, serverKey: ServerKey, logger: Logger,
        retryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(8)]
    ) {
        self.grant = grant
        self.sender = sender
        self.serverKey = serverKey
        self.logger = logger
        self.retryDelays = retryDelays
    }

    /// An `ApprovalEvents` observer.
    public func observe(_ change: ApprovalChange) {
        guard change.request.delivery != nil else { return }
        let settled: Bool =
            switch change.kind {
            case .requested: change.request.state == .approved
            // An approved request the client was already told about, expiring unredeemed,
            // is not announced again.
            case .decided: !(change.request.state == .expired && change.request.decidedAt.map { $0 < change.request.expiresAt } == true)
            case .voted, .redeemed: false
            }
        guard settled else { return }
        Task { await deliver(change.request) }
    }

    /// Builds and sends the notification for a settled request.
    func deliver(_ request: ApprovalRequest) async {
        guard let delivery = request.delivery,
            let bearer = SealedSecret.open(
                delivery.sealedNotificationToken, purpose: BackchannelDelivery.notificationTokenPurpose, serverKey: serverKey),
            let authReqID = SealedSecret.open(
                delivery.sealedAuthReqID, purpose: BackchannelDelivery.authReqIDPurpose, serverKey: serverKey)
        else {
            logger.error("a notification cannot be sent: its sealed token does not open with this server key",
                metadata: ["request_id": "\(request.id)"])
            return
        }
        // Checked before a push redeems the request: a token is never minted for an endpoint
        // it cannot be sent to.
        if let problem = await sender.problem(reaching: delivery.endpoint) {
            logger.warning(
                "client notification not sent", metadata: ["request_id": "\(request.id)", "why": "\(problem)"])
            return
        }
        var members: [(String, JSONValue)] = [("auth_req_id", .string(authReqID))]
        if delivery.mode == .push {
            members += await pushMembers(request)
        }
        let notification = ClientNotification(
            endpoint: delivery.endpoint, bearerToken: bearer, body: JSONWriter.object(members), requestID: request.id,
            mode: delivery.mode)
        await send(notification)
    }

    /// CIBA §10.3.1 (the token) or §12 (the error) for a push.
    func pushMembers(_ request: ApprovalRequest) async -> [(String, JSONValue)] {
        func failure(_ code: OAuthError.Code, _ description: String) -> [(String, JSONValue)] {
            [("error", .string(code.rawValue)), ("error_description", .string(description))]
        }
        switch request.state {
        case .approved:
            do {
                let issued = try await grant.redeem(request, remoteAddress: nil, now: grant.clock())
                return issued.members
            } catch {
                logger.warning(
                    "a pushed request could not be redeemed", metadata: ["request_id": "\(request.id)", "error": "\(error.code)"])
                return error.code == .invalidGrant
                    ? failure(.transactionFailed, "the request was already redeemed")
                    : failure(.transactionFailed, "the token could not be issued; start a new request")
            }
        case .denied: return failure(.accessDenied, "the approvers denied this action")
        case .cancelled: return failure(.accessDenied, "the approval request was cancelled")
        case .expired: return failure(.expiredToken, "the approval request expired before it was approved")
        case .pending, .redeemed: return failure(.transactionFailed, "the request is not settled")
        }
    }

    func send(_ notification: ClientNotification) async {
        var attempt = 0
        while true {
            let result = await sender.send(notification)
            let metadata: Logger.Metadata = [
                "request_id": "\(notification.requestID)", "mode": "\(notification.mode.rawValue)",
                "attempt": "\(attempt + 1)",
            ]
            switch result {
            case .delivered(let status):
                logger.info("client notified", metadata: metadata.merging(["status": "\(status)"]) { a, _ in a })
                return
            case .rejected(let status):
                logger.warning(
                    "client notification endpoint refused the notification; not retried",
                    metadata: metadata.merging(["status": "\(status)"]) { a, _ in a })
                return
            case .refused(let why):
                logger.warning("client notification not sent", metadata: metadata.merging(["why": "\(why)"]) { a, _ in a })
                return
            case .failed(let why, _):
                guard attempt < retryDelays.count else {
                    logger.warning(
                        "client notification failed; giving up", metadata: metadata.merging(["why": "\(why)"]) { a, _ in a })
                    return
                }
                logger.info("client notification failed; retrying", metadata: metadata.merging(["why": "\(why)"]) { a, _ in a })
                do { try await Task.sleep(for: retryDelays[attempt]) } catch { return }
                attempt += 1
            }
        }
    }
}
