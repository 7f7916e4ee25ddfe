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

    @Test func theStoredHashIsKeyedAndMatchesOnlyTheSecret() {
        let secret = ClientSecret.generate()
        let hash = ClientSecret.hash(secret, serverKey: serverKey)
        #expect(!hash.hexString.contains(secret))
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
