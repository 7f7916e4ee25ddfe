import CountersignCore
import CountersignOAuth
import Logging

/// One HTTP POST to a client's notification endpoint (CIBA §10.2 ping, §10.3 push): JSON
/// `body`, `Authorization: Bearer <client_notification_token>`.
public struct ClientNotification: Sendable {
    /// The client's `client_notification_endpoint`.
    public var endpoint: String
    /// The `client_notification_token` the client gave (CIBA §7.1), opened from its seal.
    public var bearerToken: String
    /// The JSON body: `auth_req_id`, or for push the token response or error (CIBA §10.2, §10.3).
    public var body: [UInt8]
    /// For logs: the approval request's public id and the mode.
    public var requestID: String
    /// Ping or push.
    public var mode: BackchannelDelivery.Mode
}

/// What one attempt to POST a notification (CIBA ping or push, webhook) came to.
public enum DeliveryResult: Sendable, Equatable {
    /// A 2xx answer.
    case delivered(status: Int)
    /// A 3xx or 4xx answer: never followed, never retried (CIBA §10.2).
    case rejected(status: Int)
    /// No answer, a 5xx or a 429: tried again later.
    case failed(String, status: Int? = nil)
    /// Not sent at all (a private address when those are not allowed).
    case refused(String)
}

/// Sends one notification; the server's is `HTTPNotificationSender`, on its `OutboundHTTPClient`.
public protocol ClientNotificationSending: Sendable {
    /// POSTs the notification once: what the endpoint answered, or why nothing was sent.
    func send(_ notification: ClientNotification) async -> DeliveryResult
    /// Why `endpoint` may not be called (a non-public address, plain http), or nil.
    func problem(reaching endpoint: String) async -> String?
}

/// Tells ping and push clients about their requests' outcomes (OpenID CIBA Core §10): when a
/// request with a ping or push delivery is approved (or allowed at once), denied, expired or
/// cancelled, the change writes an outbox row (`NotificationPlan`), and this makes each attempt
/// at it: a POST to the endpoint the client registered, presenting the client's
/// `client_notification_token`. Ping says only `auth_req_id` (the client then polls); push
/// redeems the request and sends the token response itself, or the error (§12). The token
/// response is kept sealed with the row in the redeeming transaction, so every retry sends the
/// same token and a second one is never minted. Whoever owns the outbox (the server's worker)
/// decides about retries with `retryDelays`; the vote that decided never waits for any of it.
public struct BackchannelNotifier: Sendable {
    let grant: CIBAGrant
    let sender: any ClientNotificationSending
    let serverKey: ServerKey
    let clock: any WallClock
    let logger: Logger
    /// Waits before each further attempt after a failure (no answer or 5xx).
    public let retryDelays: [Duration]

    /// A notifier redeeming push requests through `grant`, retrying after each of `retryDelays`.
    public init(
        grant: CIBAGrant, sender: any ClientNotificationSending, serverKey: ServerKey, clock: any WallClock, logger: Logger,
        retryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(8)]
    ) {
        self.grant = grant
        self.sender = sender
        self.serverKey = serverKey
        self.clock = clock
        self.logger = logger
        self.retryDelays = retryDelays
    }

    /// One attempt at a ping or push outbox row about `request`.
    public func attempt(_ delivery: OutboxDelivery, request: ApprovalRequest) async -> DeliveryResult {
        guard let backchannel = request.delivery,
            let bearer = SealedSecret.open(
                backchannel.sealedNotificationToken, purpose: BackchannelDelivery.notificationTokenPurpose,
                serverKey: serverKey),
            let authReqID = SealedSecret.open(
                backchannel.sealedAuthReqID, purpose: BackchannelDelivery.authReqIDPurpose, serverKey: serverKey)
        else {
            logger.error(
                "a notification cannot be sent: its sealed token does not open with this server key",
                metadata: ["request_id": "\(request.id)"])
            return .refused("the sealed notification token does not open with this server key")
        }
        // Checked before a push redeems the request: a token is never minted for an endpoint
        // it cannot be sent to.
        if let problem = await sender.problem(reaching: backchannel.endpoint) {
            logger.warning(
                "client notification not sent", metadata: ["request_id": "\(request.id)", "why": "\(problem)"])
            return .refused(problem)
        }
        let body: [UInt8]
        if delivery.kind == .push {
            switch await pushBody(delivery, request: request, authReqID: authReqID) {
            case .send(let bytes): body = bytes
            case .skip(let why):
                logger.warning("client push not sent", metadata: ["request_id": "\(request.id)", "why": "\(why)"])
                return .refused(why)
            case .later(let why):
                return .failed(why)
            }
        } else {
            body = JSONWriter.object([("auth_req_id", .string(authReqID))])
        }
        let notification = ClientNotification(
            endpoint: backchannel.endpoint, bearerToken: bearer, body: body, requestID: request.id,
            mode: delivery.kind == .push ? .push : .ping)
        let result = await sender.send(notification)
        log(result, notification, attempt: delivery.attempts + 1)
        return result
    }

    static let redeemedElsewhere = PushBody.later("the request was redeemed by another attempt; the next attempt sends its kept token")

    enum PushBody {
        case send([UInt8])
        /// Nothing to send, now or later.
        case skip(String)
        /// Nothing could be sent now (the token was not issued); the next attempt tries again.
        case later(String)
    }

    /// CIBA §10.3.1 (the token) or §12 (the error) for a push: the kept token response on a
    /// retry; else, for an approved request, the token issued now and kept sealed with the row.
    func pushBody(_ delivery: OutboxDelivery, request: ApprovalRequest, authReqID: String) async -> PushBody {
        let now = clock.now()
        if let sealed = delivery.sealedPayload {
            guard delivery.payloadExpiresAt.map({ $0 > now }) ?? false else {
                return .skip("the pushed token expired before it could be delivered")
            }
            guard let kept = SealedSecret.open(sealed, purpose: delivery.pushPayloadPurpose, serverKey: serverKey) else {
                return .skip("the kept token response does not open with this server key")
            }
            return .send(Array(kept.utf8))
        }
        func failure(_ code: OAuthError.Code, _ description: String) -> PushBody {
            .send(
                JSONWriter.object([
                    ("auth_req_id", .string(authReqID)), ("error", .string(code.rawValue)),
                    ("error_description", .string(description)),
                ]))
        }
        switch request.state {
        case .approved:
            var body: [UInt8] = []
            do {
                _ = try await grant.redeem(request, remoteAddress: nil, now: now) { issued in
                    body = JSONWriter.object([("auth_req_id", .string(authReqID))] + issued.members)
                    return OutboxPayload(
                        deliveryID: delivery.id,
                        sealed: SealedSecret.seal(
                            String(decoding: body, as: UTF8.self), purpose: delivery.pushPayloadPurpose,
                            serverKey: serverKey),
                        expiresAt: issued.claims.expiresAt)
                }
                return .send(body)
            } catch {
                logger.warning(
                    "a pushed request could not be redeemed", metadata: ["request_id": "\(request.id)", "error": "\(error.code)"])
                guard error.code == .invalidGrant else {
                    // Nothing was issued (the store was unavailable): the next attempt issues it,
                    // and the last one tells the client (CIBA §12) rather than leave it waiting.
                    guard delivery.attempts < retryDelays.count else {
                        return failure(.transactionFailed, "the token could not be issued; start a new request")
                    }
                    return .later("the token could not be issued: \(error.code.rawValue)")
                }
                if request.state(at: clock.now()) == .expired {
                    return failure(.expiredToken, "the approval request expired before its token was delivered")
                }
                return Self.redeemedElsewhere
            }
        // A push request is redeemed only by a push attempt, which keeps the token in this row in
        // the same transaction: this copy of the row predates that, and the next attempt (reading
        // the row again) sends the kept token. Never a second token in its place.
        case .redeemed: return Self.redeemedElsewhere
        case .denied: return failure(.accessDenied, "the approvers denied this action")
        case .cancelled: return failure(.accessDenied, "the approval request was cancelled")
        case .expired: return failure(.expiredToken, "the approval request expired before it was approved")
        case .pending: return .skip("the request is not settled")
        }
    }

    func log(_ result: DeliveryResult, _ notification: ClientNotification, attempt: Int) {
        let metadata: Logger.Metadata = [
            "request_id": "\(notification.requestID)", "mode": "\(notification.mode.rawValue)", "attempt": "\(attempt)",
        ]
        switch result {
        case .delivered(let status):
            logger.info("client notified", metadata: metadata.merging(["status": "\(status)"]) { a, _ in a })
        case .rejected(let status):
            logger.warning(
                "client notification endpoint refused the notification; not retried",
                metadata: metadata.merging(["status": "\(status)"]) { a, _ in a })
        case .refused(let why):
            logger.warning("client notification not sent", metadata: metadata.merging(["why": "\(why)"]) { a, _ in a })
        case .failed(let why, _):
            logger.info("client notification failed", metadata: metadata.merging(["why": "\(why)"]) { a, _ in a })
        }
    }
}
