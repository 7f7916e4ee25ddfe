import Crypto

/// Client secrets: generated with 256 bits of entropy, never stored in plaintext. The store
/// keeps HMAC-SHA-256 of the secret under a key derived from the server key, and a presented
/// secret is compared with that hash in constant time.
public enum ClientSecret {
    /// Shorter supplied secrets are refused.
    public static let minimumLength = 32
    /// Longer presented secrets are refused without hashing.
    public static let maximumLength = 512

    /// A new random secret: 32 random bytes, base64url without padding (43 characters).
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return Base64URL.encode(bytes)
    }

    /// Why a supplied secret is refused, in words for the operator; nil when acceptable.
    /// Printable ASCII only, and neither `+` nor `%`: clients form-urlencode the secret in HTTP
    /// Basic (RFC 6749 §2.3.1), so tools that send it raw (`curl -u`) would present `+` as a
    /// space and `%` as the start of an escape, and fail to authenticate.
    public static func problem(with secret: String) -> String? {
        if secret.count < minimumLength {
            return
                "a client secret must be at least \(minimumLength) characters long (got \(secret.count)); omit --secret to have a random one generated"
        }
        if secret.utf8.count > maximumLength { return "a client secret must be at most \(maximumLength) bytes long" }
        if secret.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value > 0x7E }) {
            return "a client secret must be printable ASCII: no spaces, control or non-ASCII characters"
        }
        if secret.contains("+") || secret.contains("%") {
            return
                "a client secret must not contain '+' or '%': HTTP Basic credentials are form-urlencoded (RFC 6749 §2.3.1), so curl -u would send a different secret; omit --secret to have a random one generated"
        }
        return nil
    }

    /// The keyed hash stored for a secret.
    public static func hash(_ secret: String, serverKey: ServerKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(secret.utf8), using: serverKey.clientSecretKey))
    }

    /// Constant-time check of a presented secret against the stored hash.
    public static func matches(_ secret: String, hash stored: [UInt8], serverKey: ServerKey) -> Bool {
        ConstantTime.equal(hash(secret, serverKey: serverKey), stored)
    }
}
