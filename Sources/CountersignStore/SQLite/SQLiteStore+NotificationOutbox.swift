import CountersignCore
import NIOConcurrencyHelpers

extension SQLiteStore: NotificationOutbox {
    /// Writes the outbox rows `intents` call for, inside the caller's transaction, in one
    /// statement (it runs in the deciding vote's transaction, ahead of the first notification):
    /// one row per ping or push, one per webhook of the intent's groups (and per `*` webhook).
    /// Claimed by `claim` when given, else due at once for any server process.
    static func insertOutbox(
        _ intents: [NotificationIntent], requestID: String, claim: OutboxClaim?, now: Instant, _ connection: SQLiteDatabase
    ) throws -> [OutboxDelivery] {
        guard !intents.isEmpty else { return [] }
        var selects: [String] = []
        // Positional binds follow the text: the outer SELECT's four come first.
        var binds: [SQLiteValue] = [
            .instant(now), .instant(now), optional(claim?.claimant), .instant(claim?.until),
        ]
        for (part, intent) in intents.enumerated() {
            let row = "lower(hex(randomblob(16))) AS id, ? AS request_id, '\(intent.kind.rawValue)' AS kind, ? AS event, \(part) AS part"
            binds += [.text(requestID), .text(intent.event)]
            switch intent.kind {
            case .ping, .push:
                selects.append("SELECT \(row), NULL AS webhook_id, 0 AS made, '' AS hook")
            case .webhook:
                let groups = (["?"] + intent.groups.map { _ in "?" }).joined(separator: ", ")
                selects.append(
                    "SELECT \(row), id AS webhook_id, created_at AS made, id AS hook FROM webhooks WHERE group_name IN (\(groups))")
                binds += [.text("*")] + intent.groups.map { .text($0) }
            }
        }
        let rows = try connection.query(
            """
            INSERT INTO notification_outbox
                (id, request_id, kind, webhook_id, event, created_at, next_attempt_at, claimant, claimed_until)
            SELECT id, request_id, kind, webhook_id, event, ?, ?, ?, ?
            FROM (\(selects.joined(separator: " UNION ALL "))) ORDER BY part, made, hook
            RETURNING *
            """, binds, keep: false)
        return try rows.map(decodeDelivery)
    }

    /// Keeps a pushed token response with its row, inside the transaction that redeemed it.
    static func storePayload(_ payload: OutboxPayload, _ connection: SQLiteDatabase) throws {
        let updated = try connection.query(
            "UPDATE notification_outbox SET sealed_payload = ?, payload_expires_at = ? WHERE id = ? AND done_at IS NULL RETURNING id",
            [.text(Base64URL.encode(payload.sealed)), .instant(payload.expiresAt), .text(payload.deliveryID)])
        guard !updated.isEmpty else { throw StoreError.notFound("no open outbox delivery \(payload.deliveryID)") }
    }

    /// Claims due rows with one `UPDATE … RETURNING` in a writer transaction (`NotificationOutbox`).
    public func claimDueDeliveries(now: Instant, claim: OutboxClaim, limit: Int) async throws -> [OutboxDelivery] {
        let due = """
            done_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
            """
        // A read first, so an idle worker never takes the write lock.
        let any = try read { connection in
            try connection.query(
                "SELECT 1 AS due FROM notification_outbox WHERE \(due) LIMIT 1", [.instant(now), .instant(now)])
        }
        guard !any.isEmpty else { return [] }
        let claimed = NIOLockedValueBox<[OutboxDelivery]>([])
        try await writer.write(audit: []) { connection in
            // The condition is evaluated again inside the write transaction: compare-and-set.
            let rows = try connection.query(
                """
                UPDATE notification_outbox SET claimant = ?, claimed_until = ?
                WHERE id IN (SELECT id FROM notification_outbox WHERE \(due) ORDER BY next_attempt_at LIMIT ?)
                RETURNING *
                """,
                [.text(claim.claimant), .instant(claim.until), .instant(now), .instant(now), .integer(limit)])
            let decoded = try rows.map(Self.decodeDelivery)
            claimed.withLockedValue { $0 = decoded }
        }
        return claimed.withLockedValue { $0 }.sorted { $0.nextAttemptAt < $1.nextAttemptAt }
    }

    /// Marks the row done if `claimant` still holds it, in a writer transaction.
    public func finishDelivery(id: String, claimant: String, outcome: String, now: Instant) async throws -> Bool {
        try await changeClaimed(
            """
            UPDATE notification_outbox SET done_at = ?, outcome = ?, attempts = attempts + 1, sealed_payload = NULL,
                claimant = NULL, claimed_until = NULL
            WHERE id = ? AND claimant = ? AND done_at IS NULL RETURNING id
            """, [.instant(now), .text(String(outcome.prefix(300))), .text(id), .text(claimant)])
    }

    /// Puts the row back for its next attempt if `claimant` still holds it, in a writer transaction.
    public func rescheduleDelivery(id: String, claimant: String, attempts: Int, nextAttemptAt: Instant) async throws -> Bool {
        try await changeClaimed(
            """
            UPDATE notification_outbox SET attempts = ?, next_attempt_at = ?, claimant = NULL, claimed_until = NULL
            WHERE id = ? AND claimant = ? AND done_at IS NULL RETURNING id
            """, [.integer(attempts), .instant(nextAttemptAt), .text(id), .text(claimant)])
    }

    func changeClaimed(_ sql: String, _ binds: [SQLiteValue]) async throws -> Bool {
        let changed = NIOLockedValueBox(false)
        try await writer.write(audit: []) { connection in
            let rows = try connection.query(sql, binds)
            changed.withLockedValue { $0 = !rows.isEmpty }
        }
        return changed.withLockedValue { $0 }
    }

    /// The outbox rows of one request, on a pool thread.
    public func deliveries(requestID: String) async throws -> [OutboxDelivery] {
        try await scan { connection in
            try connection.query(
                "SELECT * FROM notification_outbox WHERE request_id = ? ORDER BY created_at, rowid", [.text(requestID)]
            ).map(Self.decodeDelivery)
        }
    }

    /// Deletes finished rows and drops expired payloads in one writer transaction.
    public func purgeDeliveries(finishedBefore: Instant, now: Instant) async throws -> Int {
        let purged = NIOLockedValueBox(0)
        try await writer.write(audit: []) { connection in
            let deleted = try connection.query(
                "DELETE FROM notification_outbox WHERE done_at IS NOT NULL AND done_at < ? RETURNING id",
                [.instant(finishedBefore)])
            // A token that has expired is never sent; its sealed copy goes.
            _ = try connection.query(
                "UPDATE notification_outbox SET sealed_payload = NULL WHERE sealed_payload IS NOT NULL AND payload_expires_at <= ?",
                [.instant(now)])
            purged.withLockedValue { $0 = deleted.count }
        }
        return purged.withLockedValue { $0 }
    }

    static func decodeDelivery(_ row: SQLiteRow) throws -> OutboxDelivery {
        guard let id = row.column("id")?.string, let requestID = row.column("request_id")?.string,
            let kind = row.column("kind")?.string.flatMap(OutboxDelivery.Kind.init(rawValue:)),
            let event = row.column("event")?.string
        else { throw StoreError.corrupt("a notification outbox row cannot be read") }
        return OutboxDelivery(
            id: id, requestID: requestID, kind: kind, webhookID: row.column("webhook_id")?.string, event: event,
            attempts: row.column("attempts")?.integer ?? 0,
            nextAttemptAt: row.column("next_attempt_at")?.instant ?? .epoch,
            sealedPayload: row.column("sealed_payload")?.string.flatMap { Base64URL.decode($0.utf8) },
            payloadExpiresAt: row.column("payload_expires_at")?.instant,
            claimant: row.column("claimant")?.string)
    }
}
