import CountersignCore
import Testing

@Suite struct ClientSecretTests {
    let serverKey = ServerKey(rawBytes: Array(repeating: 7, count: 32))

    @Test func generatedSecretsCarry256BitsAndDiffer() {
        let a = ClientSecret.generate()
        #expect(a.count == 43)
        #expect(Base64URL.decode(Array(a.utf8))?.count == 32)
        #expect(a != ClientSecret.generate())
        #expect(ClientSecret.problem(with: a) == nil)
    }

    @Test func shortSuppliedSecretsAreRefusedWithTheReason() {
        #expect(ClientSecret.problem(with: "short")?.contains("at least 32 characters") == true)
        #expect(ClientSecret.problem(with: String(repeating: "x", count: 31)) != nil)
        #expect(ClientSecret.problem(with: String(repeating: "x", count: 32)) == nil)
        #expect(ClientSecret.problem(with: String(repeating: "x", count: 31) + " ") != nil)
    }

    /// Basic credentials are form-urlencoded (RFC 6749 §2.3.1): `+` and `%` in a raw secret
    /// would not survive `curl -u`, so a supplied secret may not hold them.
    @Test(arguments: ["+", "%", "%2B", "a+b"])
    func plusAndPercentAreRefused(inner: String) {
        let secret = String(repeating: "x", count: 32) + inner
        #expect(
            ClientSecret.problem(with: secret)
                == #"a client secret must not contain '+' or '%': HTTP Basic credentials are form-urlencoded (RFC 6749 §2.3.1), so curl -u would send a different secret; omit --secret to have a random one generated"#
        )
    }

    @Test(arguments: [" ", "\t", "\n", "\u{7F}", "\u{0}", "é", "\u{00A0}", "🔑"])
    func nonPrintableOrNonASCIIIsRefused(inner: String) {
        let secret = String(repeating: "x", count: 32) + inner
        #expect(ClientSecret.problem(with: secret) == "a client secret must be printable ASCII: no spaces, control or non-ASCII characters")
    }

    @Test func everyOtherPrintableASCIICharacterIsAccepted() {
        let allowed = (0x21...0x7E).map { Character(Unicode.Scalar(UInt8($0))) }.filter { $0 != "+" && $0 != "%" }
        #expect(ClientSecret.problem(with: String(allowed)) == nil)
    }

    /// The stored value is HMAC-SHA-256 under HKDF-SHA-256(server key, salt "countersign", info
    /// "client-secret-hash"). The expected values were computed outside Swift, with Python's
    /// `cryptography` package, so a change of algorithm, key derivation or input is caught.
    @Test func theStoredHashIsHMACSHA256UnderTheDerivedKey() {
        let secret = "correct-horse-battery-staple-0123456789"
        #expect(
            ClientSecret.hash(secret, serverKey: serverKey).hexString
                == "31bfa55f8f9d3b82e11bb47df0eef0b539c169dc29726716764ceb0d1afbad09")
        let otherServer = ServerKey(rawBytes: Array(repeating: 8, count: 32))
        #expect(
            ClientSecret.hash(secret, serverKey: otherServer).hexString
                == "b8bced0b18d47dbbe56b375823bbf7cb018b777e4d23ec9dd8e0601cf8990e79")
    }

    @Test func theStoredHashIsKeyedAndMatchesOnlyTheSecret() {
        let secret = ClientSecret.generate()
        let hash = ClientSecret.hash(secret, serverKey: serverKey)
        #expect(hash.count == 32)
        #expect(ClientSecret.matches(secret, hash: hash, serverKey: serverKey))
        #expect(!ClientSecret.matches(secret + "x", hash: hash, serverKey: serverKey))
        let otherServer = ServerKey(rawBytes: Array(repeating: 8, count: 32))
        #expect(!ClientSecret.matches(secret, hash: hash, serverKey: otherServer))
    }

    @Test(arguments: ["", String(repeating: "a", count: 129), "a b", "a:b", "a%20", "é"])
    func badClientIDsAreRefused(id: String) {
        #expect(ClientRegistration.problem(id: id) != nil)
    }
}
