import Crypto

/// A user's personal API token for the approver API: 256 random bits, shown once, stored only
/// as a keyed hash (HMAC-SHA-256 under the server key, separated from client secrets).
public enum PersonalToken {
    /// Every personal token starts so, which lets secret scanners find a leaked one.
    public static let prefix = "csu_"

    /// A new token: `prefix` and 256 random bits in base64url.
    public static func generate() -> String { prefix + ClientSecret.generate() }

    /// The keyed hash stored for `token`, and the key to look it up by.
    public static func hash(_ token: String, serverKey: ServerKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array("personal-token:\(token)".utf8), using: serverKey.clientSecretKey))
    }
}
