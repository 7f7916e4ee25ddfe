import CountersignCore
import Crypto
import Testing

@testable import CountersignOAuth

/// Reading an issuer's JWKS: one pinned algorithm per key, anything doubtful left out.
@Suite struct IssuerKeySetTests {
    static func b64(_ bytes: some Collection<UInt8>) -> String { Base64URL.encode(bytes) }

    static func ecJWK(_ key: P256.Signing.PrivateKey, kid: String, extra: String = "") -> String {
        let raw = Array(key.publicKey.rawRepresentation)
        return #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","x":"\#(b64(raw[..<32]))","y":"\#(b64(raw[32...]))"\#(extra)}"#
    }

    static func parse(_ keys: [String]) throws -> [IssuerKey] {
        try IssuerKeySet.parse(Array(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8))
    }

    @Test func ecKeyIsPinnedToES256AndVerifiesRealSignatures() throws {
        let key = P256.Signing.PrivateKey()
        let keys = try Self.parse([Self.ecJWK(key, kid: "a")])
        #expect(keys.count == 1 && keys[0].algorithm == "ES256" && keys[0].kid == "a")
        let input = Array("header.payload".utf8)
        let signature = Array(try key.signature(for: input).rawRepresentation)
        #expect(keys[0].isValidSignature(signature, for: input[...]))
        var flipped = signature
        flipped[5] ^= 1
        #expect(!keys[0].isValidSignature(flipped, for: input[...]))
        #expect(
            !keys[0].isValidSignature(Array(try key.signature(for: input).derRepresentation), for: input[...]),
            "DER instead of R||S is refused")
        #expect(!keys[0].isValidSignature([UInt8](repeating: 0, count: 64), for: input[...]), "r = s = 0")
    }

    @Test func doubtfulKeysAreLeftOut() throws {
        let key = P256.Signing.PrivateKey()
        let keys = try Self.parse([
            Self.ecJWK(key, kid: "enc", extra: #","use":"enc""#),
            Self.ecJWK(key, kid: "hs", extra: #","alg":"HS256""#),
            Self.ecJWK(key, kid: "private", extra: #","d":"AAAA""#),
            #"{"kty":"oct","kid":"sym","k":"c2VjcmV0"}"#,
            #"{"kty":"RSA","kid":"small","n":"\#(Self.b64([UInt8](repeating: 0xC1, count: 128)))","e":"AQAB"}"#,
            #"{"kty":"RSA","kid":"huge","n":"\#(Self.b64([UInt8](repeating: 0xC1, count: 2048)))","e":"AQAB"}"#,
            #"{"kty":"EC","crv":"P-256","kid":"short","x":"AAAA","y":"AAAA"}"#,
            #"{"kty":"OKP","crv":"X25519","kid":"x","x":"\#(Self.b64([UInt8](repeating: 9, count: 32)))"}"#,
            Self.ecJWK(key, kid: "good"),
        ])
        #expect(keys.map(\.kid) == ["good"])
    }

    @Test func ed25519KeyIsPinnedToEdDSA() throws {
        let key = Curve25519.Signing.PrivateKey()
        let jwk = #"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"\#(Self.b64(key.publicKey.rawRepresentation))"}"#
        let keys = try Self.parse([jwk])
        #expect(keys.first?.algorithm == "EdDSA")
        let input = Array("a.b".utf8)
        #expect(keys[0].isValidSignature(Array(try key.signature(for: input)), for: input[...]))
    }

    @Test func malformedDocumentsAreRefused() {
        for body in ["[]", "{}", #"{"keys":{}}"#, "not json", #"{"keys":[],"keys":[]}"#] {
            #expect(throws: IssuerKeySet.Invalid.self) { try IssuerKeySet.parse(Array(body.utf8)) }
        }
        let many = #"{"keys":[\#(Array(repeating: "{}", count: 101).joined(separator: ","))]}"#
        #expect(throws: IssuerKeySet.Invalid.self) { try IssuerKeySet.parse(Array(many.utf8)) }
    }

    @Test func cacheControlMaxAge() {
        #expect(HTTPIssuerDocumentFetcher.maxAge(["public, max-age=120"]) == 120)
        #expect(HTTPIssuerDocumentFetcher.maxAge(["no-store"]) == 0)
        #expect(HTTPIssuerDocumentFetcher.maxAge([]) == nil)
        #expect(HTTPIssuerDocumentFetcher.maxAge(["max-age=abc"]) == nil)
    }

    @Test func claimMappings() {
        let claims: [String: JSONValue] = [
            "sub": "alice", "realm_access": ["roles": ["employee", "admin"]],
            "https://example.com/groups": ["finance-leads"], "roles": ["ignored"],
        ]
        let issuer = TrustedIssuer(
            issuer: "https://idp", audience: "cs",
            claimMappings: [
                ClaimMapping(text: "roles=realm_access.roles")!, ClaimMapping(text: "groups=https://example.com/groups")!,
                ClaimMapping(text: "org=missing.path")!,
            ], createdAt: Instant(millisecondsSince1970: 0))
        let mapped = issuer.subjectClaims(from: claims)
        #expect(mapped["roles"] == ["employee", "admin"])
        #expect(mapped["groups"] == ["finance-leads"])
        #expect(mapped["org"] == nil)
        #expect(mapped["sub"] == "alice")
        for bad in ["roles", "=x", "x=", "ro les=x", "a=\u{1}"] { #expect(ClaimMapping(text: bad) == nil, "\(bad)") }
    }
}
