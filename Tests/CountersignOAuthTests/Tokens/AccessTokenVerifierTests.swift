import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Crypto
import Foundation
import Testing

/// Hostile tokens at introspection: each is only `active: false`.
@Suite struct AccessTokenVerifierTests {
    typealias F = OAuthFixture

    static func b64(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    static func claims(_ f: OAuthFixture, exp: String? = nil, iss: String = F.issuer) -> String {
        let now = f.clock.now().secondsSince1970
        return
            #"{"iss":"\#(iss)","sub":"app","aud":"\#(F.issuer)","client_id":"app","iat":\#(now),"exp":\#(exp ?? String(now + 300)),"jti":"forged"}"#
    }

    static func signed(_ header: String, _ payload: String, key: P256.Signing.PrivateKey) throws -> String {
        try signed(encodedPayload: b64(payload), header: header, key: key)
    }

    static func signed(encodedPayload: String, header: String, key: P256.Signing.PrivateKey) throws -> String {
        let input = b64(header) + "." + encodedPayload
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// The server's own active private key, opened from the store with the server key the way an
    /// insider with the data directory would, so a token it signs is refused only for the
    /// header or claim under test.
    static func serverSigningKey(_ f: OAuthFixture) async throws -> P256.Signing.PrivateKey {
        let kid = f.server.keys.activeKid
        let stored = try #require(try await f.store.signingKeys().first { $0.kid == kid })
        let raw = try AES.GCM.open(
            AES.GCM.SealedBox(combined: stored.encryptedPrivateKey), using: f.serverKey.keyEncryptionKey,
            authenticating: Data("countersign signing key \(kid)".utf8))
        return try P256.Signing.PrivateKey(rawRepresentation: raw)
    }

    @Test func forgedTokensAreInactive() async throws {
        try await F.with { f in
            let kid = f.server.keys.activeKid
            let genuine = try await f.accessToken()
            let parts = genuine.split(separator: ".").map(String.init)
            let foreign = P256.Signing.PrivateKey()
            let ours = try await Self.serverSigningKey(f)
            let header = #"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)"}"#
            // Header cases re-signed with our key over the genuine payload: only the header is wrong.
            let resigned = { (header: String) throws -> String in
                try Self.signed(encodedPayload: parts[1], header: header, key: ours)
            }
            // Control: the genuine header re-signed this way is active.
            #expect(await f.introspect(try resigned(header)).json["active"] == true)
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
                (
                    "DER signature",
                    parts[0] + "." + parts[1] + "."
                        + Base64URL.encode(
                            try P256.Signing.PrivateKey().signature(for: [1]).derRepresentation)
                ),
                ("extra segment", genuine + ".x"),
                ("JWE-shaped", genuine + ".x.y"),
                ("typ JWT", try resigned(#"{"alg":"ES256","typ":"JWT","kid":"\#(kid)"}"#)),
                ("unknown kid", try resigned(#"{"alg":"ES256","typ":"at+jwt","kid":"../x"}"#)),
                ("SQL kid", try resigned(#"{"alg":"ES256","typ":"at+jwt","kid":"' OR 1=1--"}"#)),
                ("crit", try resigned(#"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)","crit":["b64"]}"#)),
                ("duplicate header name", try resigned(#"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)","kid":"\#(kid)"}"#)),
                ("padding", parts[0] + "=." + parts[1] + "." + parts[2]),
            ]
            for (name, token) in cases {
                let reply = await f.introspect(token)
                #expect(reply.json == ["active": false], "\(name) was accepted")
            }
            #expect(await f.introspect(genuine).json["active"] == true)
        }
    }

    /// RFC 7519 §4.1.4-4.1.6: time claims are integers, `exp` in the future,
    /// `nbf` (when present) no later than now plus the skew. Every token is signed with the
    /// server's real key and differs from the active control in one claim only.
    @Test func timeClaimsMustBeIntegersAndCurrent() async throws {
        try await F.with { f in
            let key = try await Self.serverSigningKey(f)
            let header = #"{"alg":"ES256","typ":"at+jwt","kid":"\#(f.server.keys.activeKid)"}"#
            let now = f.clock.now().secondsSince1970
            let token = { (claims: [String: String]) throws -> String in
                var all = [
                    "iss": #""\#(F.issuer)""#, "sub": #""app""#, "aud": #""\#(F.issuer)""#, "client_id": #""app""#,
                    "iat": String(now), "exp": String(now + 300), "jti": #""forged""#,
                ]
                all.merge(claims) { _, new in new }
                let body = all.filter { $0.value != "absent" }.sorted { $0.key < $1.key }
                    .map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",")
                return try Self.signed(header, "{" + body + "}", key: key)
            }
            for control in [[:], ["nbf": String(now)], ["nbf": String(now - 600)], ["nbf": String(now + 30)]] {
                #expect(await f.introspect(try token(control)).json["active"] == true, "\(control) was refused")
            }
            let refused: [[String: String]] = [
                ["exp": #""\#(now + 300)""#], ["exp": "\(now + 300).0"], ["exp": "\(now + 300).5"],
                ["exp": "\(now + 300)e0"], ["exp": "-1"], ["exp": "null"], ["exp": "absent"], ["exp": String(now - 1)],
                ["iat": #""\#(now)""#], ["iat": "\(now).0"], ["iat": "absent"], ["iat": String(now + 3600)],
                ["nbf": String(now + 120)], ["nbf": String(now + 3600)], ["nbf": #""\#(now)""#], ["nbf": "\(now).0"],
                ["nbf": "\(now)e0"], ["nbf": "-1"], ["nbf": "null"],
            ]
            for claims in refused {
                #expect(await f.introspect(try token(claims)).json == ["active": false], "\(claims) was accepted")
            }
        }
    }

    @Test func anotherIssuersTokenSignedWithOurKeyIsInactive() async throws {
        try await F.with { f in
            // A token of ours minted for another issuer URL (a second deployment sharing keys).
            let other = AccessTokenVerifier(keys: f.server.keys, issuer: "https://elsewhere.example", clock: f.clock)
            let token = try await f.accessToken()
            #expect(throws: AccessTokenVerifier.Rejection.self) { try other.verify(token) }
        }
    }
}
