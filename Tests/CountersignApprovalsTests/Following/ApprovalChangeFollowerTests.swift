import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Logging
import Synchronization
import Testing

/// Another process's approval changes on the same SQLite file (here a second store, as the CLI
/// opens it) reach this process's listeners once; this process's own changes are not repeated.
@Suite struct ApprovalChangeFollowerTests {
    static let groups = ["finance-leads": ApproverGroup(name: "finance-leads", claim: "groups", claimValue: "finance-leads")]

    static func lead(_ name: String) -> Approver {
        Approver(name: name, claims: ["groups": .list([.string("finance-leads")])])
    }

    static func request(_ id: String, now: Instant) -> ApprovalRequest {
        ApprovalRequest(
            id: id, authReqIDHash: Array(id.utf8), clientID: "app", subject: "bob", subjectIssuer: nil, actor: nil,
            authorizationDetails: [["type": "refund"]], audience: "https://api.example.com", scopes: [],
            approvals: [ApprovalRequirement(approver: .group("finance-leads"), quorum: 2)],
            grant: GrantTerms(ttl: 60, oneTime: false), ruleNames: ["r"], createdAt: now, expiresAt: now + .seconds(600))
    }

    @Test func anotherProcesssChangesArePublishedOnceAndThisOnesNotAgain() async throws {
        try await OAuthFixture.with { f in
            let now = f.clock.now()
            let follower = ApprovalChangeFollower(
                feed: f.store, approvals: f.store, events: f.approvals.events, logger: Logger(label: "test"))
            try await follower.start()
            let heard = Mutex<[ApprovalChange]>([])
            f.approvals.events.observe { change in heard.withLock { $0.append(change) } }
            let requested = { (id: String) in
                [AuditRecord(type: "approval.requested", actor: "test", data: ["request_id": .string(id)])]
            }
            // Made in this process: its maker publishes it, the follower does not repeat it.
            _ = try await f.store.create(Self.request("here", now: now), audit: requested("here"), notifications: [], claim: nil)
            let cli = try await SQLiteStore.open(path: f.directory + "/db.sqlite")
            _ = try await cli.create(Self.request("there", now: now), audit: requested("there"), notifications: [], claim: nil)
            _ = try await cli.update(id: "there", claim: nil) { r in
                ApprovalUpdate(try r.cast(.approve, reason: "ok", by: Self.lead("fiona"), groups: Self.groups, now: now))
            }.request
            _ = try await cli.update(id: "there", claim: nil) { r in
                ApprovalUpdate(try r.cast(.approve, reason: "ok", by: Self.lead("gita"), groups: Self.groups, now: now))
            }.request
            _ = try await cli.update(id: "here", claim: nil) { r in ApprovalUpdate(try r.cancel(by: "cli", now: now)) }.request
            await follower.poll()
            let changes = heard.withLock { $0 }.map { "\($0.request.id) \($0.eventName)" }
            // The deciding vote is one change, as in the process that made it.
            #expect(
                changes == [
                    "there approval.requested", "there approval.voted", "there approval.decided", "here approval.decided",
                ])
            #expect(heard.withLock { $0 }.allSatisfy { $0.deliveries.isEmpty })
            await follower.poll()
            #expect(heard.withLock { $0.count } == 4)
            await cli.close()
        }
    }

    @Test func aUserDisabledOrGivenANewTokenElsewhereIsAnnouncedToListeners() async throws {
        try await OAuthFixture.with { f in
            let follower = ApprovalChangeFollower(
                feed: f.store, approvals: f.store, events: f.approvals.events, logger: Logger(label: "test"))
            try await follower.start()
            let heard = Mutex<[String]>([])
            _ = f.approvals.events.observeListenerChanges { name in heard.withLock { $0.append(name) } }
            let cli = try await SQLiteStore.open(path: f.directory + "/db.sqlite")
            let user = User(name: "fiona", createdAt: f.clock.now())
            try await cli.create(user, audit: AuditRecord(type: "user.created", actor: "cli", data: user.auditData))
            try await cli.replaceToken(
                hash: [1, 2, 3], for: "fiona", createdAt: f.clock.now(),
                audit: AuditRecord(type: "user.token_created", actor: "cli", data: ["name": "fiona"]))
            try await cli.setDisabled(
                true, name: "fiona", audit: AuditRecord(type: "user.disabled", actor: "cli", data: ["name": "fiona"]))
            await follower.poll()
            // user.created ends no listener's right; the new token and the disabling do.
            #expect(heard.withLock { $0 } == ["fiona", "fiona"])
            await cli.close()
        }
    }

    /// The real store, whose next read of a request by id fails once (a locked database).
    final class OneFailedRead: ApprovalRequestStore {
        let store: SQLiteStore
        let failNext = Mutex(true)
        init(_ store: SQLiteStore) { self.store = store }

        func approvalRequest(id: String) async throws -> ApprovalRequest? {
            if failNext.withLock({ fail in
                defer { fail = false }; return fail
            }) {
                throw StoreError.unavailable("database is locked")
            }
            return try await store.approvalRequest(id: id)
        }
        func create(
            _ request: ApprovalRequest, audit: [AuditRecord], notifications: [NotificationIntent], claim: OutboxClaim?
        ) async throws -> [OutboxDelivery] {
            try await store.create(request, audit: audit, notifications: notifications, claim: claim)
        }
        func approvalRequest(authReqIDHash: [UInt8]) async throws -> ApprovalRequest? {
            try await store.approvalRequest(authReqIDHash: authReqIDHash)
        }
        func approvalRequests(
            state: ApprovalRequest.State?, after position: ApprovalRequest.ListPosition?, limit: Int
        ) async throws -> [ApprovalRequest] {
            try await store.approvalRequests(state: state, after: position, limit: limit)
        }
        func expiredApprovalRequestIDs(now: Instant, limit: Int) async throws -> [String] {
            try await store.expiredApprovalRequestIDs(now: now, limit: limit)
        }
        func update(
            id: String, claim: OutboxClaim?, _ change: @escaping @Sendable (inout ApprovalRequest) throws -> ApprovalUpdate
        ) async throws -> (request: ApprovalRequest, deliveries: [OutboxDelivery]) {
            try await store.update(id: id, claim: claim, change)
        }
    }

    @Test func aChangeWhoseRequestCouldNotBeReadIsPublishedAtTheNextPoll() async throws {
        try await OAuthFixture.with { f in
            let now = f.clock.now()
            let follower = ApprovalChangeFollower(
                feed: f.store, approvals: OneFailedRead(f.store), events: f.approvals.events, logger: Logger(label: "test"))
            try await follower.start()
            let heard = Mutex<[String]>([])
            f.approvals.events.observe { change in heard.withLock { $0.append("\(change.request.id) \(change.eventName)") } }
            let cli = try await SQLiteStore.open(path: f.directory + "/db.sqlite")
            _ = try await cli.create(
                Self.request("there", now: now),
                audit: [AuditRecord(type: "approval.requested", actor: "test", data: ["request_id": "there"])],
                notifications: [], claim: nil)
            await follower.poll()
            #expect(heard.withLock { $0 }.isEmpty)
            await follower.poll()
            #expect(heard.withLock { $0 } == ["there approval.requested"])
            await follower.poll()
            #expect(heard.withLock { $0.count } == 1)
            await cli.close()
        }
    }
}
