import CountersignCore
import CountersignStore

/// Key rotation: a new key becomes active at once; every previously active key stops signing
/// but stays published until every token it signed has expired (its retirement plus the
/// longest access-token lifetime plus the allowed clock skew).
public enum KeyRotation {
    /// The longest time a retired key stays in the JWKS after it stopped signing, in milliseconds.
    public static let retiredKeyPublication: Int64 = (AccessTokenLifetime.maximum + AccessTokenLifetime.clockSkew) * 1000

    /// Creates and activates a new key, with a `key.rotated` (or `key.created`) audit event.
    @discardableResult
    public static func rotate(store: any SigningKeyStore, serverKey: ServerKey, now: Int64, actor: String) async throws
        -> StoredSigningKey
    {
        let existing = try await store.signingKeys()
        let retiring = existing.filter { $0.retiredAt == nil }.map(\.kid)
        let key = try SigningKeyMaterial.generate(serverKey: serverKey, now: now)
        let record = AuditRecord(
            type: retiring.isEmpty ? "key.created" : "key.rotated", actor: actor,
            data: [
                "kid": .string(key.kid), "alg": .string(key.algorithm),
                "retired_kids": .array(retiring.map(JSONValue.string)),
                "retired_published_until": .number(JSONNumber(now + retiredKeyPublication)),
            ])
        try await store.activate(
            key, retiringOthersAt: now, publishedUntil: now + retiredKeyPublication, audit: record)
        return key
    }
}
