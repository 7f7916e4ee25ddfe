import CountersignCore

extension SQLiteStore: SigningKeyStore {
    /// Every row of `signing_keys`, latest activation first. On a reader connection on the caller's thread.
    public func signingKeys() async throws -> [StoredSigningKey] {
        try read { connection in
            return try connection.query("SELECT * FROM signing_keys ORDER BY activates_at DESC, created_at DESC, kid DESC").map { row in
                StoredSigningKey(
                    kid: row.column("kid")?.string ?? "",
                    algorithm: row.column("alg")?.string ?? "",
                    encryptedPrivateKey: Base64URL.decode(Array((row.column("private_key")?.string ?? "").utf8)) ?? [],
                    publicJWK: row.column("public_jwk")?.string ?? "{}",
                    createdAt: row.column("created_at")?.instant ?? .epoch,
                    activatesAt: row.column("activates_at")?.instant ?? .epoch,
                    retiredAt: row.column("retired_at")?.instant,
                    publishedUntil: row.column("published_until")?.instant)
            }
        }
    }

    /// Inserts the key and retires the others. One writer transaction with its audit event.
    public func activate(
        _ key: StoredSigningKey, retiringOthersAt: Instant, publishedUntil: Instant, audit: AuditRecord
    ) async throws {
        try await writer.write(audit: [audit]) { connection in
            // Every other key stops signing by the new key's activation (a pending key that
            // never activated included), and leaves the JWKS by `publishedUntil` at the latest.
            _ = try connection.query(
                "UPDATE signing_keys SET retired_at = ? WHERE kid != ? AND (retired_at IS NULL OR retired_at > ?)",
                [.instant(retiringOthersAt), .text(key.kid), .instant(retiringOthersAt)])
            _ = try connection.query(
                """
                UPDATE signing_keys SET published_until = ?
                WHERE kid != ? AND (published_until IS NULL OR published_until > ?)
                """,
                [.instant(publishedUntil), .text(key.kid), .instant(publishedUntil)])
            _ = try connection.query(
                """
                INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, activates_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(key.kid), .text(key.algorithm), .text(Base64URL.encode(key.encryptedPrivateKey)),
                    .text(key.publicJWK), .instant(key.createdAt), .instant(key.activatesAt),
                ])
        }
    }
}
