import CountersignCore

/// A token-signing key as kept at rest: the private half encrypted under the server key.
public struct StoredSigningKey: Sendable, Equatable {
    /// The key id: base64url of the first 12 bytes of the SHA-256 of the public key.
    public var kid: String
    /// The one algorithm this key may be used with (RFC 8725 §3.1).
    public var algorithm: String
    /// AES-GCM sealed box of the raw private key.
    public var encryptedPrivateKey: [UInt8]
    /// The public JWK (RFC 7517) as JSON text.
    public var publicJWK: String
    /// When the key was made.
    public var createdAt: Instant
    /// When it starts signing. A rotated-in key is published first and signs only from here,
    /// so resource servers that cache the JWKS already know it.
    public var activatesAt: Instant
    /// When it stopped (or will stop) signing: its successor's activation; nil while current.
    public var retiredAt: Instant?
    /// Until when its public half stays in the JWKS (every token it signed has expired by then).
    public var publishedUntil: Instant?

    /// A key as `KeyRotation` makes it or the store reads it back.
    public init(
        kid: String, algorithm: String, encryptedPrivateKey: [UInt8], publicJWK: String, createdAt: Instant,
        activatesAt: Instant? = nil, retiredAt: Instant? = nil, publishedUntil: Instant? = nil
    ) {
        self.activatesAt = activatesAt ?? createdAt
        self.kid = kid
        self.algorithm = algorithm
        self.encryptedPrivateKey = encryptedPrivateKey
        self.publicJWK = publicJWK
        self.createdAt = createdAt
        self.retiredAt = retiredAt
        self.publishedUntil = publishedUntil
    }
}

/// Token-signing keys and their rotation.
public protocol SigningKeyStore: Sendable {
    /// Every key, most recently activating first.
    func signingKeys() async throws -> [StoredSigningKey]
    /// Adds a key that signs from `key.activatesAt`; every other key stops signing by then and
    /// leaves the JWKS by `publishedUntil` at the latest; one transaction with its event.
    func activate(
        _ key: StoredSigningKey, retiringOthersAt: Instant, publishedUntil: Instant, audit: AuditRecord)
        async throws
}
