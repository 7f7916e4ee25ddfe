import Crypto

/// The server's own secret, 32 random bytes kept in the data directory (never in the database),
/// from which purpose-bound keys are derived with HKDF: the client-secret hashing key, the audit
/// head signing key, the key that encrypts signing keys at rest and the key that seals the
/// few secrets the server must hand back later (CIBA notification tokens, webhook secrets).
public struct ServerKey: Sendable {
    public let clientSecretKey: SymmetricKey
    public let auditHeadKey: SymmetricKey
    public let keyEncryptionKey: SymmetricKey
    public let secretSealingKey: SymmetricKey

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
