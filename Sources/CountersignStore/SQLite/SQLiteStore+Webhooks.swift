import CountersignCore

extension SQLiteStore: WebhookStore {
    /// Inserts the webhook, its secret already sealed. One writer transaction with its audit event.
    public func create(_ webhook: Webhook, audit: AuditRecord) async throws {
        let binds: [SQLiteValue] = [
            .text(webhook.id), .text(webhook.group), .text(webhook.url), .text(webhook.format.rawValue),
            .text(Base64URL.encode(webhook.sealedSecret)), .instant(webhook.createdAt),
        ]
        try await writer.write(audit: [audit]) { connection in
            _ = try connection.query(
                "INSERT INTO webhooks (id, group_name, url, format, sealed_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                binds)
        }
    }

    /// Every webhook, oldest first, on a pool thread.
    public func webhooks() async throws -> [Webhook] {
        try await scan { connection in
            try connection.query("SELECT * FROM webhooks ORDER BY created_at, id").map(Self.decodeWebhook)
        }
    }

    /// The webhook with this id. On a reader connection on the caller's thread.
    public func webhook(id: String) async throws -> Webhook? {
        try read { connection in
            try connection.query("SELECT * FROM webhooks WHERE id = ?", [.text(id)]).first.map(Self.decodeWebhook)
        }
    }

    static func decodeWebhook(_ row: SQLiteRow) throws -> Webhook {
        guard let id = row.column("id")?.string, let group = row.column("group_name")?.string,
            let url = row.column("url")?.string,
            let format = row.column("format")?.string.flatMap(Webhook.Format.init(rawValue:)),
            let sealed = row.column("sealed_secret")?.string.flatMap({ Base64URL.decode($0.utf8) })
        else { throw StoreError.corrupt("a webhook row cannot be read") }
        return Webhook(
            id: id, group: group, url: url, format: format, sealedSecret: sealed,
            createdAt: row.column("created_at")?.instant ?? .epoch)
    }

    /// Deletes the webhook; `StoreError.notFound` when there is none. One writer transaction with its audit event.
    public func deleteWebhook(id: String, audit: AuditRecord) async throws {
        try await writer.write(audit: [audit]) { connection in
            let deleted = try connection.query("DELETE FROM webhooks WHERE id = ? RETURNING id", [.text(id)])
            guard !deleted.isEmpty else { throw StoreError.notFound("there is no webhook \(id)") }
        }
    }

    /// Appends an attempt to `webhook_deliveries`, which keeps the newest 10,000, in a writer transaction.
    public func recordDelivery(_ delivery: WebhookDelivery) async throws {
        let binds: [SQLiteValue] = [
            .text(delivery.webhookID), .text(delivery.event), .text(delivery.requestID), .integer(delivery.attempt),
            delivery.status.map { .integer($0) } ?? .null, Self.optional(delivery.error), .instant(delivery.at),
        ]
        try await writer.write(audit: []) { connection in
            _ = try connection.query(
                """
                INSERT INTO webhook_deliveries (webhook_id, event, request_id, attempt, status, error, at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, binds)
            // The log keeps the newest 10,000 attempts.
            _ = try connection.query(
                "DELETE FROM webhook_deliveries WHERE seq <= (SELECT MAX(seq) FROM webhook_deliveries) - 10000")
        }
    }

    /// The newest `limit` logged attempts, newest first, on a pool thread.
    public func deliveries(limit: Int) async throws -> [WebhookDelivery] {
        try await scan { connection in
            try connection.query("SELECT * FROM webhook_deliveries ORDER BY seq DESC LIMIT ?", [.integer(limit)]).map { row in
                WebhookDelivery(
                    webhookID: row.column("webhook_id")?.string ?? "", event: row.column("event")?.string ?? "",
                    requestID: row.column("request_id")?.string ?? "", attempt: row.column("attempt")?.integer ?? 0,
                    status: row.column("status")?.integer, error: row.column("error")?.string,
                    at: row.column("at")?.instant ?? .epoch)
            }
        }
    }
}
