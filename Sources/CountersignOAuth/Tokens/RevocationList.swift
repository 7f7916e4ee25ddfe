import CountersignCore
import CountersignStore
import Synchronization

/// Revoked token ids held in memory for the introspection hot path, written through to the
/// store, and refreshed from it about once a second. `isRevoked` also asks the store when memory
/// has no entry, so a revocation made by another process counts at once (RFC 7009 §2.1).
public final class RevocationList: Sendable {
    let store: any RevokedTokenStore
    let revoked: Mutex<[String: Instant]>
    let clock: any WallClock

    /// An empty list over `store`; the first reload fills it.
    public init(store: any RevokedTokenStore, clock: any WallClock) {
        self.store = store
        self.revoked = Mutex([:])
        self.clock = clock
    }

    /// Whether memory holds the `jti`; `isRevoked` also asks the store.
    public func contains(_ jti: String) -> Bool {
        revoked.withLock { $0[jti] != nil }
    }

    /// Whether the token is revoked: memory first, then one read of the store by primary key, so a
    /// revocation made by another process on the same store is seen before the next reload.
    /// A hit is remembered until the token's expiry (`expiresAt`).
    public func isRevoked(_ jti: String, expiresAt: Instant) async throws -> Bool {
        if contains(jti) { return true }
        guard try await store.isRevoked(jti: jti) else { return false }
        revoked.withLock { $0[jti] = $0[jti] ?? expiresAt }
        return true
    }

    /// Revokes durably (with its audit event), then in memory.
    func revoke(jti: String, clientID: String, expiresAt: Instant, audit: AuditRecord) async throws {
        try await store.revoke(jti: jti, clientID: clientID, expiresAt: expiresAt, audit: audit)
        revoked.withLock { $0[jti] = expiresAt }
    }

    /// Adds revocations made by other processes. A revocation is never undone, so the store's
    /// view is merged in, never swapped for memory: a revocation made while the read ran stays.
    public func reload() async throws {
        let fresh = try await store.revocations(activeAt: clock.now())
        revoked.withLock { $0.merge(fresh) { current, _ in current } }
    }

    /// Purges revocations of expired tokens from the store and memory.
    public func purgeExpired() async throws {
        let now = clock.now()
        _ = try await store.purgeExpiredRevocations(now: now)
        revoked.withLock { $0 = $0.filter { $0.value > now } }
    }
}
