import CountersignCore

/// Revoked token ids (RFC 7009), kept until the token would have expired anyway.
public protocol RevokedTokenStore: Sendable {
    /// Records a revocation with its event; revoking twice is not an error and records once.
    func revoke(jti: String, clientID: String, expiresAt: Instant, audit: AuditRecord) async throws
    /// Whether the token was revoked (what a cache miss asks).
    func isRevoked(jti: String) async throws -> Bool
    /// Revocations still in force at `now`, jti → expiry (to warm a cache).
    func revocations(activeAt now: Instant) async throws -> [String: Instant]
    /// Forgets revocations of tokens that have expired; returns how many.
    func purgeExpiredRevocations(now: Instant) async throws -> Int
}
