import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation
import Logging
import ServiceLifecycle

/// Approvals and their notifications, assembled (docs/ARCHITECTURE.md, "Approvals"): the
/// `ApprovalService` every step goes through (made first: the authorization server opens and
/// redeems requests through it), the approver API, the CIBA ping/push and webhook deliverers,
/// the outbox worker that makes their attempts, and the follower of other processes' changes.
public struct Approvals: Sendable {
    /// What the approvals need of the store: requests, outbox, webhooks, users, audit and the change feed.
    public typealias Store = ApprovalRequestStore & NotificationOutbox & WebhookStore & UserStore & AuditLog
        & ApprovalChangeFeed

    /// The only writer of approval requests.
    public let service: ApprovalService
    /// The approver API (docs/APPROVALS.md).
    public let api: ApproverAPI
    /// Makes the attempts at CIBA ping and push rows.
    public let backchannel: BackchannelNotifier
    let worker: NotificationOutboxWorker
    let follower: ApprovalChangeFollower

    /// The service the authorization server is made with, over `store`.
    public static func service(store: any ApprovalRequestStore, clock: any WallClock) -> ApprovalService {
        ApprovalService(store: store, events: ApprovalEvents(), claims: OutboxClaims(), clock: clock)
    }

    /// Everything around `service`; this process delivers the outbox rows its own changes
    /// write, at once, over `outbound` (the server's one client for its own requests), and
    /// hears of other processes' changes from `start()` on.
    public init(
        service: ApprovalService, server: AuthorizationServer, store: any Store, policies: any PolicySource,
        serverKey: ServerKey, outbound: OutboundHTTPClient, clock: any WallClock, logger: Logger
    ) {
        let sender = HTTPNotificationSender(client: outbound)
        self.service = service
        api = ApproverAPI(
            users: store, approvals: store, service: service, audit: store, policies: policies, serverKey: serverKey,
            events: service.events, ownIssuer: server.issuer, clock: clock, throttle: server.throttle, logger: logger)
        backchannel = BackchannelNotifier(grant: server.ciba, sender: sender, serverKey: serverKey, clock: clock, logger: logger)
        let worker = NotificationOutboxWorker(
            outbox: store, approvals: store, backchannel: backchannel,
            webhooks: WebhookNotifier(store: store, sender: sender, serverKey: serverKey, clock: clock, logger: logger),
            claimant: "serve-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt64.random(in: .min ... .max), radix: 16))",
            clock: clock, logger: logger)
        service.claims.deliverHere(claimant: worker.claimant, lease: NotificationOutboxWorker.lease)
        service.events.observe { worker.observe($0) }
        self.worker = worker
        follower = ApprovalChangeFollower(
            feed: store, approvals: store, events: service.events, logger: logger, clock: clock)
    }

    /// Committed approval changes of this process, for its live listeners and its outbox worker.
    public var events: ApprovalEvents { service.events }

    /// Starts following other processes' changes from the store's current end.
    public func start() async throws {
        try await follower.start()
    }

    /// What runs beside the HTTP server: the outbox worker and the follower.
    public var services: [any Service] { [worker, ApprovalFollowing(follower: follower)] }
}
