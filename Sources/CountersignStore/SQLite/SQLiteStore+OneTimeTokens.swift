import CountersignCore
import Synchronization

extension SQLiteStore: OneTimeTokenStore {
    /// Spends the `jti` by one insert into `consumed_tokens`, with its event in one writer transaction.
    public func consume(jti: String, consumer: String, expiresAt: Instant, audit: AuditRecord) async throws -> Bool {
        let now = clock.now()
        do {
            try await writer.write(audit: [audit]) { connection in
                let rows = try connection.query(
                    """
                    INSERT INTO consumed_tokens (jti, consumer, expires_at, consumed_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (jti) DO NOTHING RETURNING jti
                    """,
                    [.text(jti), .text(consumer), .instant(expiresAt), .instant(now)])
                if rows.isEmpty { throw AlreadyConsumed() }
            }
            return true
        } catch is AlreadyConsumed {
            return false
        }
    }

    struct AlreadyConsumed: Error {}

    /// Whether `consumed_tokens` holds the `jti`. On a reader connection on the caller's thread.
    public func isConsumed(jti: String) async throws -> Bool {
        try read { connection in
            try !connection.query("SELECT 1 AS hit FROM consumed_tokens WHERE jti = ?", [.text(jti)]).isEmpty
        }
    }

    /// Deletes expired rows of `consumed_tokens` in one writer transaction.
    public func purgeExpiredConsumptions(now: Instant) async throws -> Int {
        let count = Mutex(0)
        try await writer.write(audit: []) { connection in
            let rows = try connection.query(
                "DELETE FROM consumed_tokens WHERE expires_at <= ? RETURNING jti", [.instant(now)])
            count.withLock { $0 = rows.count }
        }
        return count.withLock { $0 }
    }
}
