import Crypto

/// A secret the server must present again later (a CIBA `client_notification_token`, the
/// `auth_req_id` it notifies about, a webhook's signing secret), kept in the store only sealed
/// with AES-GCM under a key derived from the server key. `purpose` is bound as associated data,
/// so a sealed value cannot be moved to another field.
public enum SealedSecret {
    /// `secret` sealed for `purpose`: nonce, ciphertext and tag, for the store to keep.
    public static func seal(_ secret: String, purpose: String, serverKey: ServerKey) -> [UInt8] {
        // AES-GCM with a fresh random nonce cannot fail for inputs this small.
        guard let box = try? AES.GCM.seal(Array(secret.utf8), using: serverKey.secretSealingKey, authenticating: Array(purpose.utf8)),
            let combined = box.combined
        else { return [] }
        return Array(combined)
    }

    /// The secret, or nil when the bytes were not sealed for `purpose` under this server key.
    public static func open(_ sealed: [UInt8], purpose: String, serverKey: ServerKey) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plain = try? AES.GCM.open(box, using: serverKey.secretSealingKey, authenticating: Array(purpose.utf8))
        else { return nil }
        return String(validating: Array(plain), as: UTF8.self)
    }
}
