import CountersignCore
import Testing

@Suite struct SealedSecretTests {
    static let key = ServerKey(rawBytes: Array(repeating: 7, count: 32))

    @Test func opensWhatItSealedAndNothingElse() {
        let sealed = SealedSecret.seal("notify-me-123", purpose: "a", serverKey: Self.key)
        #expect(!sealed.isEmpty)
        #expect(!CanonicalJSON.exactString(.string(Base64URL.encode(sealed))).contains("notify-me"))
        #expect(SealedSecret.open(sealed, purpose: "a", serverKey: Self.key) == "notify-me-123")
        // Another purpose, another server key, or a flipped bit: nothing.
        #expect(SealedSecret.open(sealed, purpose: "b", serverKey: Self.key) == nil)
        #expect(SealedSecret.open(sealed, purpose: "a", serverKey: ServerKey(rawBytes: Array(repeating: 8, count: 32))) == nil)
        var flipped = sealed
        flipped[flipped.count - 1] ^= 1
        #expect(SealedSecret.open(flipped, purpose: "a", serverKey: Self.key) == nil)
        #expect(SealedSecret.open([1, 2, 3], purpose: "a", serverKey: Self.key) == nil)
    }

    @Test func twoSealsOfOneSecretDiffer() {
        #expect(SealedSecret.seal("x", purpose: "a", serverKey: Self.key) != SealedSecret.seal("x", purpose: "a", serverKey: Self.key))
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("10.1.2.3", true), ("169.254.169.254", true), ("192.168.0.10", true), ("172.31.255.1", true),
        ("100.64.0.1", true), ("0.0.0.0", true), ("::1", true), ("::", true), ("fd00::1", true), ("fe80::1", true),
        ("::ffff:127.0.0.1", true), ("8.8.8.8", false), ("172.32.0.1", false), ("2001:db8::1", false),
        ("2606:4700::1111", false),
    ])
    func nonPublicAddresses(address: String, nonPublic: Bool) throws {
        #expect(try #require(IPAddress(address)).isNonPublic == nonPublic)
    }
}
