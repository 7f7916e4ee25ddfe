import CountersignCore
import Crypto
import CryptoExtras

/// One public key of a trusted issuer, pinned to exactly one algorithm (RFC 8725 §3.1): the
/// JWK's `alg` when it states one that fits its key type, else the key type's usual algorithm
/// (RSA → RS256, P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA). A token whose header names
/// another algorithm is refused before any signature work, so `none` and HMAC keyed with the
/// public key (CVE-2015-9235) never reach a verifier.
struct IssuerKey: Sendable {
    enum PublicKey: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let kid: String?
    let algorithm: String
    let key: PublicKey
    /// The public key's bytes as the JWKS gave them (RSA `n`'s length, `n` and `e`; EC `x` and `y`; OKP `x`):
    /// what tells one key from another under the same `kid` after a rotation.
    let material: [UInt8]

    /// Verifies a JWS signature over `input` (RFC 7515 §5.2) with this key's pinned algorithm.
    func isValidSignature(_ signature: [UInt8], for input: ArraySlice<UInt8>) -> Bool {
        switch (key, algorithm) {
        case (.p256(let k), "ES256"):
            guard signature.count == 64, let s = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA256.hash(data: input))
        case (.p384(let k), "ES384"):
            guard signature.count == 96, let s = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA384.hash(data: input))
        case (.ed25519(let k), "EdDSA"):
            return k.isValidSignature(signature, for: input)
        case (.rsa(let k), _):
            guard signature.count == k.keySizeInBits / 8 else { return false }
            let s = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm {
            case "RS256": return k.isValidSignature(s, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
            case "RS384": return k.isValidSignature(s, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
            case "RS512": return k.isValidSignature(s, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
            case "PS256": return k.isValidSignature(s, for: SHA256.hash(data: input), padding: .PSS)
            case "PS384": return k.isValidSignature(s, for: SHA384.hash(data: input), padding: .PSS)
            case "PS512": return k.isValidSignature(s, for: SHA512.hash(data: input), padding: .PSS)
            default: return false
            }
        default:
            return false
        }
    }
}

/// Reads an issuer's JWKS (RFC 7517 §5) into keys. Keys that are not for signatures, carry
/// private parts, are of an unsupported type or size, or state an algorithm their type cannot
/// have are left out, never guessed at.
enum IssuerKeySet {
    /// More keys than this is not a JWKS we take.
    static let maxKeys = 100
    /// RSA moduli are accepted from 2048 to 4096 bits (a 16k-bit key is refused before any work, item 72).
    static let rsaModulusBytes = 256...512

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ body: [UInt8]) throws(Invalid) -> [IssuerKey] {
        guard case .object(let document)? = try? JSONParser(maxDepth: 8).parse(body) else {
            throw Invalid(description: "the JWKS is not a JSON object")
        }
        guard case .array(let entries)? = document["keys"] else { throw Invalid(description: "the JWKS has no keys array") }
        guard entries.count <= maxKeys else { throw Invalid(description: "the JWKS has more than \(maxKeys) keys") }
        return entries.compactMap { entry in
            guard case .object(let jwk) = entry else { return nil }
            return key(jwk)
        }
    }

    static func decode(_ text: String) -> [UInt8]? { Base64URL.decode(text.utf8) }

    static func key(_ jwk: [String: JSONValue]) -> IssuerKey? {
        if let use = jwk["use"], use != .string("sig") { return nil }
        if jwk["d"] != nil || jwk["p"] != nil || jwk["k"] != nil { return nil }
        let kid = jwk["kid"]?.stringValue
        let stated = jwk["alg"]?.stringValue
        switch jwk["kty"]?.stringValue {
        case "RSA":
            guard let n = jwk["n"]?.stringValue.flatMap(decode), let e = jwk["e"]?.stringValue.flatMap(decode)
            else { return nil }
            let modulus = n.drop(while: { $0 == 0 })
            guard rsaModulusBytes.contains(modulus.count), e.count <= 8,
                let key = try? _RSA.Signing.PublicKey(n: Array(modulus), e: e)
            else { return nil }
            let alg = stated ?? "RS256"
            guard ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"].contains(alg) else { return nil }
            return IssuerKey(
                kid: kid, algorithm: alg, key: .rsa(key), material: [UInt8(modulus.count >> 8), UInt8(modulus.count & 0xFF)] + modulus + e)
        case "EC":
            guard let x = jwk["x"]?.stringValue.flatMap(decode), let y = jwk["y"]?.stringValue.flatMap(decode)
            else { return nil }
            switch jwk["crv"]?.stringValue {
            case "P-256":
                guard stated == nil || stated == "ES256", x.count == 32, y.count == 32,
                    let key = try? P256.Signing.PublicKey(rawRepresentation: x + y)
                else { return nil }
                return IssuerKey(kid: kid, algorithm: "ES256", key: .p256(key), material: x + y)
            case "P-384":
                guard stated == nil || stated == "ES384", x.count == 48, y.count == 48,
                    let key = try? P384.Signing.PublicKey(rawRepresentation: x + y)
                else { return nil }
                return IssuerKey(kid: kid, algorithm: "ES384", key: .p384(key), material: x + y)
            default:
                return nil
            }
        case "OKP":
            guard jwk["crv"]?.stringValue == "Ed25519", stated == nil || stated == "EdDSA" || stated == "Ed25519",
                let x = jwk["x"]?.stringValue.flatMap(decode), x.count == 32,
                let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x)
            else { return nil }
            return IssuerKey(kid: kid, algorithm: "EdDSA", key: .ed25519(key), material: x)
        default:
            return nil
        }
    }
}
