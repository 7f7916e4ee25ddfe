import Crypto

/// The server's own secret, 32 random bytes kept in the data directory (never in the database),
/// from which purpose-bound keys are derived with HKDF: the client-secret hashing key, the audit
/// head signing key, the key that encrypts signing keys at rest and the key that seals the
/// few secrets the server must hand back later (CIBA notification tokens, webhook secrets).
public struct ServerKey: Sendable {
    /// HMAC key of the stored client secret hashes (HKDF info `client-secret-hash`).
    public let clientSecretKey: SymmetricKey
    /// HMAC key of audit checkpoints (HKDF info `audit-head`).
    public let auditHeadKey: SymmetricKey
    /// AES-GCM key sealing the signing keys at rest (HKDF info `signing-key-encryption`).
    public let keyEncryptionKey: SymmetricKey
    /// AES-GCM key of `SealedSecret` (HKDF info `stored-secret-sealing`).
    public let secretSealingKey: SymmetricKey

    /// The purpose keys derived from the 32 bytes of `server.key` (HKDF-SHA-256, salt `countersign`).
    public init(rawBytes: [UInt8]) {
        let root = SymmetricKey(data: rawBytes)
        func derive(_ purpose: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: root, salt: Array("countersign".utf8), info: Array(purpose.utf8), outputByteCount: 32)
        }
        self.clientSecretKey = derive("client-secret-hash")
        self.auditHeadKey = derive("audit-head")
        self.keyEncryptionKey = derive("signing-key-encryption")
        self.secretSealingKey = derive("stored-secret-sealing")
    }

    /// 32 new random bytes for a new data directory.
    public static func generateRawBytes() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }
}
