import CountersignCore
import CountersignStore
import Foundation
import Testing

/// The notification outbox on real SQLite files: rows written in the transaction of the
/// approval change, claimed by exactly one of several stores (processes) on one file, taken up
/// again when a claim lapses, finished, purged; and the feed of approval changes that tells one
/// process's changes from another's.
@Suite struct NotificationOutboxTests {
    static let t0 = Instant(millisecondsSince1970: 1_795_600_000_000)

    static func request(_ id: String) -> ApprovalRequest {
        ApprovalRequest(
            id: id, authReqIDHash: Array(id.utf8), clientID: "agent", subject: "bob", subjectIssuer: nil, actor: nil,
            authorizationDetails: [["type": "refund", "amount": 250]], audience: "https://api.example.com", scopes: [],
            approvals: [ApprovalRequirement(approver: .group("finance-leads"), quorum: 2)],
            grant: GrantTerms(ttl: 300, oneTime: false), ruleNames: ["large-refunds"], createdAt: t0,
            expiresAt: t0 + .milliseconds(900_000))
    }

    static func webhook(_ id: String, group: String) -> Webhook {
        Webhook(id: id, group: group, url: "https://hooks.example.com/\(id)", format: .json, sealedSecret: [1], createdAt: t0)
    }

    static let ping = NotificationIntent(kind: .ping, event: "approval.decided")

    static func open(_ path: String) async throws -> SQLiteStore {
        try await SQLiteStore.open(path: path, clock: ManualClock(t0))
    }

    @Test func rowsAreWrittenWithTheChangeAndItsEventsOrNotAtAll() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await Self.open(dir + "/db.sqlite")
            for (id, group) in [("w1", "finance-leads"), ("w2", "security"), ("w3", "*")] {
                try await store.create(
                    Self.webhook(id, group: group), audit: AuditRecord(type: "webhook.created", actor: "test", data: [:]))
            }
            let claim = OutboxClaim(claimant: "a", until: Self.t0 + .milliseconds(15_000))
            let created = try await store.create(
                Self.request("r1"), audit: [AuditRecord(type: "approval.requested", actor: "test", data: [:])],
                notifications: [NotificationIntent(kind: .webhook, event: "approval.requested", groups: ["finance-leads"])],
                claim: claim)
            // One row per webhook of the group and per `*` webhook, none for the security group's.
            // RETURNING gives the rows in no defined order.
            #expect(created.compactMap(\.webhookID).sorted() == ["w1", "w3"])
            #expect(created.allSatisfy { $0.kind == .webhook && $0.event == "approval.requested" && $0.attempts == 0 })
            #expect(Set(created.map(\.id)).count == 2 && created.allSatisfy { $0.id.count == 32 })

            let (cancelled, deliveries) = try await store.update(id: "r1", claim: nil) { request in
                ApprovalUpdate(audit: try request.cancel(by: "cli", now: Self.t0).audit, notifications: [Self.ping])
            }
            #expect(cancelled.state == .cancelled && deliveries.map(\.kind) == [.ping])
            // A refused step stores neither the change, nor its event, nor its rows.
            await #expect(throws: ApprovalRefusal.self) {
                _ = try await store.update(id: "r1", claim: nil) { request in
                    ApprovalUpdate(audit: try request.cancel(by: "cli", now: Self.t0).audit, notifications: [Self.ping])
                }
            }
            // A payload for a row that does not exist fails the whole step.
            _ = try await store.create(Self.request("r2"), audit: [], notifications: [], claim: nil)
            await #expect(throws: StoreError.self) {
                _ = try await store.update(id: "r2", claim: nil) { request in
                    ApprovalUpdate(
                        audit: try request.cancel(by: "cli", now: Self.t0).audit, notifications: [Self.ping],
                        payloads: [OutboxPayload(deliveryID: "nope", sealed: [1], expiresAt: Self.t0)])
                }
            }
            #expect(try await store.approvalRequest(id: "r2")?.state == .pending)
            #expect(try await store.deliveries(requestID: "r2").isEmpty)
            #expect(try await store.deliveries(requestID: "r1").map(\.kind) == [.webhook, .webhook, .ping])
            // Several intents of one change: one statement, a row per ping or push and per webhook.
            let both = try await store.create(
                Self.request("r3"), audit: [],
                notifications: [
                    NotificationIntent(kind: .push, event: "approval.requested"),
                    NotificationIntent(kind: .webhook, event: "approval.requested", groups: ["security", "finance-leads"]),
                ], claim: nil)
            #expect(both.map(\.kind.rawValue).sorted() == ["push", "webhook", "webhook", "webhook"])
            #expect(both.map { $0.webhookID ?? "-" }.sorted() == ["-", "w1", "w2", "w3"])
            #expect(Set(both.map(\.id)).count == 4)
            let types = try await store.events(after: 0, limit: 100).map(\.type)
            #expect(types.filter { $0.hasPrefix("approval.") } == ["approval.requested", "approval.cancelled"])

            // The claimed rows are the claimant's; the unclaimed one is anyone's at once.
            let other = try await store.claimDueDeliveries(
                now: Self.t0, claim: OutboxClaim(claimant: "b", until: Self.t0 + .milliseconds(15_000)), limit: 10)
            #expect(Set(other.map(\.id)) == Set((deliveries + both).map(\.id)))
            await store.close()
        }
    }

    @Test func ofTwoProcessesClaimingAtOnceEachRowGoesToExactlyOne() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let first = try await Self.open(path)
            let second = try await Self.open(path)
            for n in 0..<40 {
                _ = try await first.create(Self.request("r\(n)"), audit: [], notifications: [Self.ping], claim: nil)
            }
            func drain(_ store: SQLiteStore, _ name: String) async throws -> [String] {
                var taken: [String] = []
                while true {
                    let claimed = try await store.claimDueDeliveries(
                        now: Self.t0, claim: OutboxClaim(claimant: name, until: Self.t0 + .milliseconds(15_000)), limit: 3)
                    if claimed.isEmpty { return taken }
                    taken += claimed.map(\.id)
                }
            }
            async let a = drain(first, "a")
            async let b = drain(second, "b")
            let (byA, byB) = try await (a, b)
            #expect(byA.count + byB.count == 40)
            #expect(Set(byA).isDisjoint(with: Set(byB)) && Set(byA + byB).count == 40)
            await first.close()
            await second.close()
        }
    }

    @Test func aLapsedClaimIsTakenAgainAndOnlyTheHolderFinishesOrReschedules() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let first = try await Self.open(path)
            let second = try await Self.open(path)
            let row = try #require(
                try await first.create(
                    Self.request("r1"), audit: [], notifications: [Self.ping],
                    claim: OutboxClaim(claimant: "a", until: Self.t0 + .milliseconds(15_000))
                ).first)
            let b = { (now: Instant) in OutboxClaim(claimant: "b", until: now + .milliseconds(15_000)) }
            // Still a's: the process that made the change is delivering it.
            #expect(
                try await second.claimDueDeliveries(
                    now: Self.t0 + .milliseconds(14_999), claim: b(Self.t0 + .milliseconds(14_999)), limit: 10
                ).isEmpty)
            // a died: its claim lapses and b takes the row.
            let taken = try await second.claimDueDeliveries(
                now: Self.t0 + .milliseconds(15_000), claim: b(Self.t0 + .milliseconds(15_000)), limit: 10)
            #expect(taken.map(\.id) == [row.id])
            #expect(
                try await first.finishDelivery(id: row.id, claimant: "a", outcome: "late", now: Self.t0 + .milliseconds(15_001)) == false)
            #expect(
                try await second.rescheduleDelivery(id: row.id, claimant: "b", attempts: 1, nextAttemptAt: Self.t0 + .milliseconds(20_000)))
            // Released, but not due before its next attempt time; then anyone's.
            #expect(try await first.claimDueDeliveries(now: Self.t0 + .milliseconds(19_999), claim: b(Self.t0), limit: 10).isEmpty)
            let retry = try await first.claimDueDeliveries(
                now: Self.t0 + .milliseconds(20_000), claim: OutboxClaim(claimant: "a", until: Self.t0 + .milliseconds(35_000)), limit: 10)
            #expect(retry.map(\.attempts) == [1])
            #expect(try await second.rescheduleDelivery(id: row.id, claimant: "b", attempts: 2, nextAttemptAt: Self.t0) == false)
            #expect(
                try await first.finishDelivery(id: row.id, claimant: "a", outcome: "delivered 204", now: Self.t0 + .milliseconds(20_001)))
            // Finished: never claimed again, even with no claim on it.
            #expect(
                try await second.claimDueDeliveries(
                    now: Self.t0 + .milliseconds(99_000_000), claim: b(Self.t0 + .milliseconds(99_000_000)), limit: 10
                ).isEmpty)
            #expect(try await second.deliveries(requestID: "r1").map(\.attempts) == [2])
            await first.close()
            await second.close()
        }
    }

    @Test func aKeptPushPayloadGoesWhenDeliveredOrExpiredAndFinishedRowsArePurged() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await Self.open(dir + "/db.sqlite")
            var rows: [OutboxDelivery] = []
            for id in ["r1", "r2"] {
                let push = NotificationIntent(kind: .push, event: "approval.requested")
                rows += try await store.create(Self.request(id), audit: [], notifications: [push], claim: nil)
            }
            for (row, expiry) in zip(rows, [Self.t0 + .milliseconds(60_000), Self.t0 + .milliseconds(600_000)]) {
                _ = try await store.update(id: row.requestID, claim: nil) { request in
                    ApprovalUpdate(
                        audit: try request.cancel(by: "test", now: Self.t0).audit,
                        payloads: [OutboxPayload(deliveryID: row.id, sealed: [9, 9, 9], expiresAt: expiry)])
                }
            }
            #expect(try await store.deliveries(requestID: "r1").first?.sealedPayload == [9, 9, 9])
            #expect(try await store.purgeDeliveries(finishedBefore: Self.t0, now: Self.t0 + .milliseconds(59_999)) == 0)
            #expect(try await store.deliveries(requestID: "r1").first?.payloadExpiresAt == Self.t0 + .milliseconds(60_000))
            // The token expired: its sealed copy goes, the row stays for its (refused) attempt.
            #expect(try await store.purgeDeliveries(finishedBefore: Self.t0, now: Self.t0 + .milliseconds(60_000)) == 0)
            #expect(try await store.deliveries(requestID: "r1").first?.sealedPayload == nil)
            #expect(try await store.deliveries(requestID: "r2").first?.sealedPayload == [9, 9, 9])
            // Delivered: the payload goes at once; the row is kept until the purge horizon.
            let claimed = try await store.claimDueDeliveries(
                now: Self.t0, claim: OutboxClaim(claimant: "a", until: Self.t0 + .milliseconds(15_000)), limit: 10)
            #expect(Set(claimed.map(\.id)) == Set(rows.map(\.id)))
            #expect(
                try await store.finishDelivery(id: rows[1].id, claimant: "a", outcome: "delivered 200", now: Self.t0 + .milliseconds(5_000))
            )
            #expect(try await store.deliveries(requestID: "r2").first?.sealedPayload == nil)
            #expect(
                try await store.purgeDeliveries(finishedBefore: Self.t0 + .milliseconds(5_000), now: Self.t0 + .milliseconds(5_000)) == 0)
            #expect(
                try await store.purgeDeliveries(finishedBefore: Self.t0 + .milliseconds(5_001), now: Self.t0 + .milliseconds(5_001)) == 1)
            #expect(try await store.deliveries(requestID: "r2").isEmpty)
            #expect(try await store.deliveries(requestID: "r1").count == 1)  // not finished: never purged
            await store.close()
        }
    }

    @Test func theFeedTellsAnotherProcesssApprovalChangesFromThisOnes() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let server = try await Self.open(path)
            let cli = try await Self.open(path)
            let requested = { (id: String) in
                [AuditRecord(type: "approval.requested", actor: "test", data: ["request_id": .string(id)])]
            }
            _ = try await server.create(Self.request("before"), audit: requested("before"), notifications: [], claim: nil)
            let start = try await server.approvalChangesHead()
            _ = try await server.create(Self.request("mine"), audit: requested("mine"), notifications: [], claim: nil)
            try await server.append([AuditRecord(type: "token.issued", actor: "test", data: [:])])
            _ = try await cli.update(id: "mine", claim: nil) { request in ApprovalUpdate(try request.cancel(by: "cli", now: Self.t0)) }
                .request
            let (changes, next) = try await server.approvalChanges(after: start, limit: 100)
            #expect(changes.map(\.kind) == [.requested, .decided])
            #expect(changes.map(\.requestID) == ["mine", "mine"])
            #expect(changes.map(\.madeHere) == [true, false])
            #expect(next == start + 2)
            #expect(try await server.approvalChanges(after: next, limit: 100).changes.isEmpty)
            await server.close()
            await cli.close()
        }
    }
}
