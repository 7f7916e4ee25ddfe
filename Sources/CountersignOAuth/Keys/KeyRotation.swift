import CountersignCore
import CountersignStore

/// Key rotation (OpenID conformance "rotate keys"): a new key is published
/// at once but signs only after `prepublication` (the JWKS cache lifetime), so a resource
/// server holding a cached JWKS never meets an unknown `kid`. At that moment the previous key
/// stops signing; it stays published until every token it signed has expired (the longest
/// access-token lifetime plus the allowed clock skew). `immediately` is for a compromised key:
/// the new key signs at once and the old ones leave the JWKS at once, so every token they
/// signed (and any forged with them) stops verifying. A shorter `prepublication` (0 for a
/// planned switch when no resource server caches the JWKS) keeps the old keys published.
public enum KeyRotation {
    /// How long a rotated-in key is published before it signs (the JWKS `max-age`).
    public static let prepublication: Duration = .seconds(60)

    /// How long a retired key stays in the JWKS after it stopped signing.
    public static let retiredKeyPublication: Duration = .seconds(AccessTokenLifetime.maximum + AccessTokenLifetime.clockSkew)

    /// Creates a key and schedules it, with a `key.rotated` (or `key.created`) audit event.
    @discardableResult
    public static func rotate(
        store: any SigningKeyStore, serverKey: ServerKey, now: Instant, actor: String, immediately: Bool = false,
        prepublication: Duration = KeyRotation.prepublication
    ) async throws -> StoredSigningKey {
        let existing = try await store.signingKeys()
        let retiring = existing.filter { $0.retiredAt == nil }.map(\.kid)
        var key = try SigningKeyMaterial.generate(serverKey: serverKey, now: now)
        key.activatesAt = retiring.isEmpty || immediately ? now : now + max(.zero, prepublication)
        let retiredPublishedUntil = immediately ? now : key.activatesAt + retiredKeyPublication
        let record = AuditRecord(
            type: retiring.isEmpty ? "key.created" : "key.rotated", actor: actor,
            data: [
                "kid": .string(key.kid), "alg": .string(key.algorithm),
                "activates_at": .number(JSONNumber(key.activatesAt.millisecondsSince1970)),
                "retired_kids": .array(retiring.map(JSONValue.string)),
                "retired_published_until": .number(JSONNumber(retiredPublishedUntil.millisecondsSince1970)),
            ])
        try await store.activate(key, retiringOthersAt: key.activatesAt, publishedUntil: retiredPublishedUntil, audit: record)
        return key
    }
}
