import CountersignCore
import CountersignOAuth
import CountersignStore
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

    static func request(_ id: String, now: Int64) -> ApprovalRequest {
        ApprovalRequest(
            id: id, authReqIDHash: Array(id.utf8), clientID: "app", subject: "bob", subjectIssuer: nil, actor: nil,
            authorizationDetails: [["type": "refund"]], audience: "https://api.example.com", scopes: [],
            approvals: [ApprovalRequirement(approver: .group("finance-leads"), quorum: 2)],
            grant: GrantTerms(ttl: 60, oneTime: false), ruleNames: ["r"], createdAt: now, expiresAt: now + 600_000)
    }

    @Test func anotherProcesssChangesArePublishedOnceAndThisOnesNotAgain() async throws {
        try await OAuthFixture.with { f in
            let now = f.now.read()
            let follower = ApprovalChangeFollower(
                feed: f.store, approvals: f.store, events: f.server.events, logger: Logger(label: "test"))
            try await follower.start()
            let heard = Mutex<[ApprovalChange]>([])
            f.server.events.observe { change in heard.withLock { $0.append(change) } }
            let requested = { (id: String) in
                [AuditRecord(type: "approval.requested", actor: "test", data: ["request_id": .string(id)])]
            }
            // Made in this process: its maker publishes it, the follower does not repeat it.
            try await f.store.create(Self.request("here", now: now), audit: requested("here"))
            let cli = try await SQLiteStore.open(path: f.directory + "/db.sqlite")
            try await cli.create(Self.request("there", now: now), audit: requested("there"))
            _ = try await cli.update(id: "there") { r in
                try r.cast(.approve, reason: "ok", by: Self.lead("fiona"), groups: Self.groups, now: now).audit
            }
            _ = try await cli.update(id: "there") { r in
                try r.cast(.approve, reason: "ok", by: Self.lead("gita"), groups: Self.groups, now: now).audit
            }
            _ = try await cli.update(id: "here") { r in try r.cancel(by: "cli", now: now).audit }
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
}
