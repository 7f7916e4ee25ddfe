import CountersignCore
import CountersignStore
import Crypto
import Foundation

/// Creates ES256 signing keys and moves them between memory and the store. The private half is
/// sealed with AES-GCM under a key derived from the server key, so the database alone never
/// discloses it; it is never logged or written to an audit event.
public enum SigningKeyMaterial {
    /// The only algorithm our keys sign with (pinned per key, RFC 8725 §3.1).
    public static let algorithm = "ES256"

    /// A new key: a random `kid`, its sealed private half and its public JWK.
    public static func generate(serverKey: ServerKey, now: Instant) throws -> StoredSigningKey {
        let privateKey = P256.Signing.PrivateKey()
        let kid = Base64URL.encode(Array(SHA256.hash(data: privateKey.publicKey.rawRepresentation)).prefix(12))
        let sealed = try AES.GCM.seal(
            privateKey.rawRepresentation, using: serverKey.keyEncryptionKey,
            authenticating: Data(("countersign signing key " + kid).utf8))
        guard let combined = sealed.combined else { throw SigningKeyError("cannot seal the signing key") }
        return StoredSigningKey(
            kid: kid, algorithm: algorithm, encryptedPrivateKey: Array(combined),
            publicJWK: publicJWK(privateKey.publicKey, kid: kid), createdAt: now)
    }

    /// Opens a stored key's private half.
    static func privateKey(of stored: StoredSigningKey, serverKey: ServerKey) throws -> P256.Signing.PrivateKey {
        do {
            let box = try AES.GCM.SealedBox(combined: stored.encryptedPrivateKey)
            let raw = try AES.GCM.open(
                box, using: serverKey.keyEncryptionKey,
                authenticating: Data(("countersign signing key " + stored.kid).utf8))
            return try P256.Signing.PrivateKey(rawRepresentation: raw)
        } catch {
            throw SigningKeyError(
                "signing key \(stored.kid) cannot be opened with this data directory's server.key (was the key file replaced?)")
        }
    }

    /// RFC 7517 / RFC 7518 §6.2.1 public JWK with `kid`, `alg` and `use`.
    static func publicJWK(_ key: P256.Signing.PublicKey, kid: String) -> String {
        let raw = Array(key.x963Representation)  // 0x04 || X || Y
        let x = Base64URL.encode(raw[1..<33])
        let y = Base64URL.encode(raw[33..<65])
        return CanonicalJSON.string([
            "kty": "EC", "crv": "P-256", "x": .string(x), "y": .string(y), "kid": .string(kid),
            "alg": .string(algorithm), "use": "sig",
        ])
    }
}

/// A signing key that cannot be created or opened.
public struct SigningKeyError: Error, CustomStringConvertible, Sendable {
    /// What is wrong with the key, for the operator.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
