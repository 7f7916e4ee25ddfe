import CountersignCore
import Crypto
import Foundation
import Hummingbird
import NIOCore

/// The test identity provider that `countersign demo` runs on loopback: an OpenID discovery
/// document and a JWKS over real HTTP, and ES256 tokens for the demo's people, so Countersign
/// fetches and checks its keys exactly as it would Keycloak's or Okta's.
struct DemoIdentityProvider: Sendable {
    let key = P256.Signing.PrivateKey()
    let keyID = "demo-idp-1"
    /// Tokens are issued for this audience; Countersign is told to expect it.
    static let audience = "countersign"

    /// The public key as a JWK Set (RFC 7517 §5).
    var jwks: JSONValue {
        let raw = Array(key.publicKey.rawRepresentation)
        return [
            "keys": [
                [
                    "kty": "EC", "crv": "P-256", "kid": .string(keyID), "alg": "ES256", "use": "sig",
                    "x": .string(Base64URL.encode(raw[0..<32])), "y": .string(Base64URL.encode(raw[32..<64])),
                ]
            ]
        ]
    }

    /// A signed JWT for `subject`, valid for an hour from `now` (seconds), with extra claims.
    func token(issuer: String, subject: String, now: Int64, claims: [String: JSONValue]) -> String {
        var payload = claims
        payload["iss"] = .string(issuer)
        payload["sub"] = .string(subject)
        payload["aud"] = .string(Self.audience)
        payload["iat"] = .number(JSONNumber(now))
        payload["exp"] = .number(JSONNumber(now + 3600))
        payload["jti"] = .string(UUID().uuidString)
        let header: JSONValue = ["alg": "ES256", "kid": .string(keyID), "typ": "JWT"]
        let input = encodeSegment(header) + "." + encodeSegment(.object(payload))
        // A signature failure is not possible for a P-256 key we generated; fall back to an
        // unsigned-looking token that any verifier refuses rather than crashing.
        let signature = (try? key.signature(for: Array(input.utf8)).rawRepresentation) ?? Data()
        return input + "." + Base64URL.encode(signature)
    }

    /// The same claims, but `alg: none` and no signature: what an attacker would try.
    func unsignedToken(issuer: String, subject: String, now: Int64, claims: [String: JSONValue]) -> String {
        let signed = token(issuer: issuer, subject: subject, now: now, claims: claims)
        let payload = signed.split(separator: ".")[1]
        return encodeSegment(["alg": "none", "typ": "JWT"]) + "." + payload + "."
    }

    private func encodeSegment(_ value: JSONValue) -> String {
        Base64URL.encode(Array(CanonicalJSON.exactString(value).utf8))
    }

    /// The HTTP application: discovery and JWKS. `onRunning` receives the bound port.
    func application(onRunning: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router()
        let jwksText = CanonicalJSON.exactString(jwks)
        router.get(".well-known/openid-configuration") { request, context -> Response in
            let host = request.head.authority ?? "127.0.0.1"
            let document: JSONValue = [
                "issuer": .string("http://\(host)"), "jwks_uri": .string("http://\(host)/jwks.json"),
                "id_token_signing_alg_values_supported": ["ES256"],
            ]
            return Self.json(CanonicalJSON.exactString(document))
        }
        router.get("jwks.json") { _, _ -> Response in Self.json(jwksText) }
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: DemoCommand.quietLogger)
    }

    static func json(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "max-age=600"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
