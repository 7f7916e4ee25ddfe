import CountersignCore
import Synchronization

extension SQLiteStore: RevokedTokenStore {
    /// Inserts the `jti` into `revoked_tokens`; a repeat records nothing. One writer transaction with its audit event.
    public func revoke(jti: String, clientID: String, expiresAt: Instant, audit: AuditRecord) async throws {
        let now = clock.now()
        do {
            try await writer.write(audit: [audit]) { connection in
                let rows = try connection.query(
                    """
                    INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (jti) DO NOTHING RETURNING jti
                    """,
                    [.text(jti), .text(clientID), .instant(expiresAt), .instant(now)])
                if rows.isEmpty { throw AlreadyRevoked() }
            }
        } catch is AlreadyRevoked {
            return
        }
    }

    struct AlreadyRevoked: Error {}

    /// Whether `revoked_tokens` holds the `jti`. On a reader connection on the caller's thread.
    public func isRevoked(jti: String) async throws -> Bool {
        try read { connection in
            try !connection.query("SELECT 1 AS hit FROM revoked_tokens WHERE jti = ?", [.text(jti)]).isEmpty
        }
    }

    /// The unexpired rows of `revoked_tokens`. On a reader connection on the caller's thread.
    public func revocations(activeAt now: Instant) async throws -> [String: Instant] {
        try read { connection in
            let rows = try connection.query(
                "SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > ?", [.instant(now)])
            var result: [String: Instant] = [:]
            for row in rows {
                if let jti = row.column("jti")?.string, let expiresAt = row.column("expires_at")?.instant {
                    result[jti] = expiresAt
                }
            }
            return result
        }
    }

    /// Deletes expired rows of `revoked_tokens` in one writer transaction.
    public func purgeExpiredRevocations(now: Instant) async throws -> Int {
        let count = Mutex(0)
        try await writer.write(audit: []) { connection in
            let rows = try connection.query(
                "DELETE FROM revoked_tokens WHERE expires_at <= ? RETURNING jti", [.instant(now)])
            count.withLock { $0 = rows.count }
        }
        return count.withLock { $0 }
    }
}
