import CountersignCore

/// One-time tokens that have been spent. Consumption is a single atomic insert, so of any
/// number of concurrent first introspections (in one process or many sharing the store)
/// exactly one succeeds.
public protocol OneTimeTokenStore: Sendable {
    /// Spends the token with its audit event; false (and nothing recorded) when it was already spent.
    func consume(jti: String, consumer: String, expiresAt: Instant, audit: AuditRecord) async throws -> Bool
    /// Whether the token has been spent.
    func isConsumed(jti: String) async throws -> Bool
    /// Forgets spent tokens that have expired anyway; returns how many.
    func purgeExpiredConsumptions(now: Instant) async throws -> Int
}
