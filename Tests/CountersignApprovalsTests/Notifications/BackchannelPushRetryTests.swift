import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A CIBA push (§10.3) whose delivery fails after the token was issued: every later attempt
/// sends that very token response, kept sealed with the outbox row, and never mints another.
/// Real SQLite and a real server; only the HTTP sender is a recording double of its narrow
/// protocol (the end-to-end suite sends over loopback).
@Suite struct BackchannelPushRetryTests {
    /// Answers each POST with the next scripted result and records what was sent.
    final class ScriptedSender: ClientNotificationSending {
        let script: Mutex<[DeliveryResult]>
        let sent = Mutex<[ClientNotification]>([])

        init(_ script: [DeliveryResult]) { self.script = Mutex(script) }

        func send(_ notification: ClientNotification) async -> DeliveryResult {
            sent.withLock { $0.append(notification) }
            return script.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }

        func problem(reaching endpoint: String) async -> String? { nil }
    }

    /// A real server on a fresh store in `directory` whose pushes go to `sender` (answering as
    /// scripted), and an approved push request of client `bot` with its outbox row (claimed by
    /// this process when `claimed`).
    static func approvedPush(
        in directory: String, clock: any WallClock, answering script: [DeliveryResult], claimed: Bool
    ) async throws -> (
        store: SQLiteStore, outbound: OutboundHTTPClient, notifier: BackchannelNotifier, sender: ScriptedSender,
        request: ApprovalRequest, row: OutboxDelivery
    ) {
        let store = try await SQLiteStore.open(path: directory + "/db.sqlite", clock: clock)
        let serverKey = ServerKey(rawBytes: ServerKey.generateRawBytes())
        let sender = ScriptedSender(script)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let outbound = OutboundHTTPClient(policy: OutboundURLPolicy(allowPrivateCallbacks: false))
        let server = try await AuthorizationServer(
            issuer: OAuthFixture.issuer, store: store, serverKey: serverKey, clock: clock,
            policies: OAuthFixture.FixedPolicy.example, approvals: Approvals.service(store: store, clock: clock),
            fetcher: HTTPIssuerDocumentFetcher(client: outbound), logger: logger)
        let notifier = BackchannelNotifier(grant: server.ciba, sender: sender, serverKey: serverKey, clock: clock, logger: logger)
        let t0 = clock.now()
        let request = ApprovalRequest(
            id: "r-push", authReqIDHash: [1], clientID: "bot", subject: "bob", subjectIssuer: nil, actor: nil,
            authorizationDetails: [["type": "refund", "amount": 250]], audience: "https://api.example.com", scopes: [],
            approvals: [], grant: GrantTerms(ttl: 60, oneTime: false), ruleNames: ["r"], state: .approved, createdAt: t0,
            expiresAt: t0 + .milliseconds(600_000), decidedAt: t0,
            delivery: BackchannelDelivery(
                mode: .push, endpoint: "https://bot.example/cb",
                sealedNotificationToken: SealedSecret.seal(
                    "push-me", purpose: BackchannelDelivery.notificationTokenPurpose, serverKey: serverKey),
                sealedAuthReqID: SealedSecret.seal("the-auth-req-id", purpose: BackchannelDelivery.authReqIDPurpose, serverKey: serverKey)))
        let row = try #require(
            try await store.create(
                request, audit: [], notifications: [NotificationIntent(kind: .push, event: "approval.requested")],
                claim: claimed ? OutboxClaim(claimant: "here", until: t0 + .milliseconds(15_000)) : nil
            ).first)
        return (store, outbound, notifier, sender, request, row)
    }

    @Test func aFailedPushIsResentWithTheOneTokenAndAnExpiredOneIsNotSent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cs-push-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock(SystemClock().now())
        let (store, outbound, notifier, sender, request, first) = try await Self.approvedPush(
            in: directory, clock: clock, answering: [.failed("answered 503", status: 503), .delivered(status: 200)],
            claimed: true)

        #expect(await notifier.attempt(first, request: request) == .failed("answered 503", status: 503))
        // The retry reads the row and the request again, as a worker after a restart would.
        let kept = try #require(try await store.deliveries(requestID: "r-push").first)
        let sealed = try #require(kept.sealedPayload)
        let redeemed = try #require(try await store.approvalRequest(id: "r-push"))
        #expect(redeemed.state == .redeemed)
        #expect(await notifier.attempt(kept, request: redeemed) == .delivered(status: 200))
        let bodies = sender.sent.withLock { $0.map(\.body) }
        #expect(bodies.count == 2 && bodies[0] == bodies[1])
        let token = try #require(try JSONParser().parse(String(decoding: bodies[0], as: UTF8.self)).objectValue)
        #expect(token["auth_req_id"]?.stringValue == "the-auth-req-id" && token["access_token"]?.stringValue != nil)
        let plain = try #require(token["access_token"]?.stringValue)
        #expect(!String(decoding: sealed, as: UTF8.self).contains(plain))
        #expect(sender.sent.withLock { $0.allSatisfy { $0.bearerToken == "push-me" } })

        // A stale copy of the row (no payload) never mints a second token nor sends anything,
        // and is put back for its next attempt (which reads the row with the kept token), also
        // when its copy of the request still reads approved (an attempt whose claim lapsed
        // while another attempt redeemed it): finishing the row would lose the token.
        let later = DeliveryResult.failed("the request was redeemed by another attempt; the next attempt sends its kept token")
        #expect(await notifier.attempt(first, request: redeemed) == later)
        #expect(await notifier.attempt(first, request: request) == later)
        // Past the token's expiry the kept response is not sent.
        clock.advance(by: .seconds(61))
        #expect(
            await notifier.attempt(kept, request: redeemed) == .refused("the pushed token expired before it could be delivered"))
        #expect(sender.sent.withLock { $0.count } == 2)
        let issued = try await store.events(after: 0, limit: 100).filter { $0.type == "token.issued" }
        #expect(issued.count == 1)
        await outbound.shutdown()
        await store.close()
    }

    @Test func aPushWhoseTokenCannotBeIssuedIsRetriedAndTheLastAttemptTellsTheClient() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cs-push-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (store, outbound, notifier, sender, request, row) = try await Self.approvedPush(
            in: directory, clock: SystemClock(), answering: [.delivered(status: 200)], claimed: false)
        // The store stops answering writes: the token cannot be issued.
        await store.close()
        guard case .failed(let why, _) = await notifier.attempt(row, request: request) else {
            Issue.record("an attempt that could not issue the token was not put back for a retry")
            return
        }
        #expect(why.hasPrefix("the token could not be issued"))
        #expect(sender.sent.withLock { $0.isEmpty })
        var last = row
        last.attempts = notifier.retryDelays.count
        #expect(await notifier.attempt(last, request: request) == .delivered(status: 200))
        let body = try #require(sender.sent.withLock { $0.first?.body })
        let answer = try #require(try JSONParser().parse(String(decoding: body, as: UTF8.self)).objectValue)
        #expect(answer["error"]?.stringValue == "transaction_failed" && answer["access_token"] == nil)
        await outbound.shutdown()
    }
}
