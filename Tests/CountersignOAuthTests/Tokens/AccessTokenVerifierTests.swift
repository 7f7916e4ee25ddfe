import CountersignCore
import CountersignOAuth
import Crypto
import Foundation
import Testing

/// Hostile tokens at introspection (HOSTILE-TESTS 15–22): each is only `active: false`.
@Suite struct AccessTokenVerifierTests {
    typealias F = OAuthFixture

    static func b64(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    static func claims(_ f: OAuthFixture, exp: String? = nil, iss: String = F.issuer) -> String {
        let now = f.now.read() / 1000
        return #"{"iss":"\#(iss)","sub":"app","aud":"\#(F.issuer)","client_id":"app","iat":\#(now),"exp":\#(exp ?? String(now + 300)),"jti":"forged"}"#
    }

    static func signed(_ header: String, _ payload: String, key: P256.Signing.PrivateKey) throws -> String {
        let input = b64(header) + "." + b64(payload)
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

    @Test func forgedTokensAreInactive() async throws {
        try await F.with { f in
            let kid = f.server.keys.activeKid
            let genuine = try await f.accessToken()
            let parts = genuine.split(separator: ".").map(String.init)
            let foreign = P256.Signing.PrivateKey()
            let header = #"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)"}"#
            let jwks = try JSONParser().parse(f.server.keys.jwksDocument)
            let publicJWK = CanonicalJSON.bytes(
                { if case .array(let k)? = jwks.objectValue?["keys"] { return k[0] } else { return .null } }())
            let hmac = { (input: String) -> String in
                Base64URL.encode(
                    Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicJWK))))
            }
            let hsInput = Self.b64(#"{"alg":"HS256","typ":"at+jwt","kid":"\#(kid)"}"#) + "." + Self.b64(Self.claims(f))
            let zeroSignature = Base64URL.encode([UInt8](repeating: 0, count: 64))
            let cases: [(String, String)] = [
                ("alg none", Self.b64(#"{"alg":"none","typ":"at+jwt","kid":"\#(kid)"}"#) + "." + Self.b64(Self.claims(f)) + "."),
                ("HS256 keyed with our public key", hsInput + "." + hmac(hsInput)),
                ("signed by a foreign key with our kid", try Self.signed(header, Self.claims(f), key: foreign)),
                ("tampered payload", parts[0] + "." + Self.b64(Self.claims(f)) + "." + parts[2]),
                ("r = s = 0", parts[0] + "." + parts[1] + "." + zeroSignature),
                ("DER signature", parts[0] + "." + parts[1] + "." + Base64URL.encode(
                    try P256.Signing.PrivateKey().signature(for: [1]).derRepresentation)),
                ("extra segment", genuine + ".x"),
                ("JWE-shaped", genuine + ".x.y"),
                ("typ JWT", parts[0].isEmpty ? "" : Self.b64(#"{"alg":"ES256","typ":"JWT","kid":"\#(kid)"}"#) + "." + parts[1] + "." + parts[2]),
                ("unknown kid", Self.b64(#"{"alg":"ES256","typ":"at+jwt","kid":"../x"}"#) + "." + parts[1] + "." + parts[2]),
                ("SQL kid", Self.b64(#"{"alg":"ES256","typ":"at+jwt","kid":"' OR 1=1--"}"#) + "." + parts[1] + "." + parts[2]),
                ("crit", Self.b64(#"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)","crit":["b64"]}"#) + "." + parts[1] + "." + parts[2]),
                ("duplicate header name", Self.b64(#"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)","kid":"\#(kid)"}"#) + "." + parts[1] + "." + parts[2]),
                ("padding", parts[0] + "=." + parts[1] + "." + parts[2]),
            ]
            for (name, token) in cases {
                let reply = await f.introspect(token)
                #expect(reply.json == ["active": false], "\(name) was accepted")
            }
            #expect(await f.introspect(genuine).json["active"] == true)
        }
    }

    @Test func timeClaimsMustBeIntegersAndCurrent() async throws {
        try await F.with { f in
            // Signed by the real key through the real minter is not possible with odd claims, so
            // these check the structural refusals that happen before the signature.
            let kid = f.server.keys.activeKid
            let header = #"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)"}"#
            let foreign = P256.Signing.PrivateKey()
            for exp in [#""9999999999""#, "1e10", "-1", "null"] {
                let token = try AccessTokenVerifierTests.signed(header, Self.claims(f, exp: exp), key: foreign)
                #expect(await f.introspect(token).json == ["active": false])
            }
        }
    }

    @Test func anotherIssuersTokenSignedWithOurKeyIsInactive() async throws {
        try await F.with { f in
            // A token of ours minted for another issuer URL (a second deployment sharing keys).
            let other = AccessTokenVerifier(keys: f.server.keys, issuer: "https://elsewhere.example", clock: f.now.read)
            let token = try await f.accessToken()
            await #expect(throws: AccessTokenVerifier.Rejection.self) { try await other.verify(token) }
        }
    }
}
