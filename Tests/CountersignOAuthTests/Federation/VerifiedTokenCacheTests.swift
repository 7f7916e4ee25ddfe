import CountersignCore
import CountersignStore
import Crypto
import Logging
import Synchronization
import Testing

@testable import CountersignOAuth

/// An identity provider's token accepted once is not verified again from scratch, but every
/// use still sees what can change for the same bytes: the clock, the issuer's settings, the
/// issuer's published keys.
@Suite struct VerifiedTokenCacheTests {
    typealias Documents = IssuerKeyCacheTests.Documents

    /// The trusted issuers in memory (the store's narrow protocol; the database adds nothing here).
    final class Issuers: TrustedIssuerStore {
        let list: Mutex<[TrustedIssuer]>
        init(_ issuers: [TrustedIssuer]) { list = Mutex(issuers) }
        func set(_ issuers: [TrustedIssuer]) { list.withLock { $0 = issuers } }
        func trustedIssuers() async throws -> [TrustedIssuer] { list.withLock { $0 } }
        func add(_ issuer: TrustedIssuer, audit: AuditRecord) async throws { list.withLock { $0.append(issuer) } }
        func deleteIssuer(_ issuer: String, audit: AuditRecord) async throws -> Bool {
            list.withLock { list in
                let before = list.count
                list.removeAll { $0.issuer == issuer }
                return list.count < before
            }
        }
    }

    static let jwksURI = "https://idp.example.com/jwks.json"
    static let issuer = TrustedIssuer(issuer: "https://idp.example.com", audience: "cs", jwksURI: jwksURI, createdAt: .epoch)
    let documents = Documents()
    let clock = ManualClock(Instant(secondsSince1970: 1_767_614_400))
    let store = Issuers([VerifiedTokenCacheTests.issuer])
    let key = P256.Signing.PrivateKey()
    let verified = VerifiedTokenCache()
    let directory: IssuerDirectory
    let verifier: SubjectTokenVerifier

    init() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let keys = IssuerKeyCache(fetcher: documents, cooldownSeconds: 1, clock: clock, logger: logger)
        directory = IssuerDirectory(store: store, keys: keys)
        try await directory.reload()
        verifier = SubjectTokenVerifier(
            issuers: directory, keys: keys, ownIssuer: "https://as.example.com", clock: clock, verified: verified)
        publish([(key, "k1")], maxAge: 60)
    }

    func publish(_ keys: [(P256.Signing.PrivateKey, String)], maxAge: Int) {
        let jwks = #"{"keys":[\#(keys.map { IssuerKeySetTests.ecJWK($0.0, kid: $0.1) }.joined(separator: ","))]}"#
        documents.set(Self.jwksURI, .document(Array(jwks.utf8), maxAge: maxAge))
    }

    func token(
        sub: String = "alice", expiresIn: Int64 = 3600, kid: String = "k1", key: P256.Signing.PrivateKey? = nil
    ) throws
        -> String
    {
        let now = clock.now().secondsSince1970
        let header = #"{"alg":"ES256","kid":"\#(kid)","typ":"JWT"}"#
        let claims = #"{"iss":"https://idp.example.com","aud":"cs","sub":"\#(sub)","iat":\#(now),"exp":\#(now + expiresIn)}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let signature = try (key ?? self.key).signature(for: Array(input.utf8))
        return input + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }

    func refusal(_ token: String) async -> String? {
        do {
            _ = try await verifier.verify(token, parameter: "subject_token")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aTokenAcceptedOnceIsKeptAndAcceptedAgain() async throws {
        let token = try token()
        #expect(try await verifier.verify(token, parameter: "subject_token").sub == "alice")
        #expect(verified.count == 1)
        #expect(try await verifier.verify(token, parameter: "subject_token").sub == "alice")
        #expect(verified.count == 1)
        #expect(documents.count(Self.jwksURI) == 1)
    }

    @Test func aRefusedTokenIsNeverKept() async throws {
        #expect(await refusal(try token(expiresIn: -3600)) == "subject_token has expired")
        #expect(await refusal(try token(key: P256.Signing.PrivateKey())) == "subject_token has an invalid signature")
        #expect(verified.count == 0)
    }

    @Test func aKeptTokenIsRefusedOnceItExpires() async throws {
        let token = try token(expiresIn: 120)
        #expect(await refusal(token) == nil)
        clock.advance(by: .seconds(120 + SubjectTokenVerifier.clockSkew))
        #expect(await refusal(token) == "subject_token has expired")
    }

    @Test func aKeptTokenIsRefusedWhenItsIssuerChangesOrGoes() async throws {
        let token = try token()
        #expect(await refusal(token) == nil)
        var changed = Self.issuer
        changed.audience = "another"
        store.set([changed])
        try await directory.reload()
        #expect(await refusal(token) == "subject_token is not meant for this server (aud does not contain another)")
        store.set([])
        try await directory.reload()
        #expect(await refusal(token) == "subject_token was issued by an issuer this server does not trust")
    }

    @Test func aKeptTokenIsRefusedWhenItsKeyIsNoLongerPublished() async throws {
        let token = try token()
        #expect(await refusal(token) == nil)
        // The issuer rotates: another key under the same kid, picked up when the keys' minute is up.
        publish([(P256.Signing.PrivateKey(), "k1")], maxAge: 60)
        clock.advance(by: .seconds(61))
        #expect(await refusal(token) == "subject_token has an invalid signature")
        // And a rotation to a new kid leaves the old one unknown.
        publish([(key, "k2")], maxAge: 60)
        clock.advance(by: .seconds(61))
        #expect(await refusal(token) == "subject_token is signed with a key its issuer does not publish")
    }

    @Test func aCopyWithAnotherSignatureIsVerifiedAnew() async throws {
        let token = try token()
        #expect(await refusal(token) == nil)
        let forged = try self.token(key: P256.Signing.PrivateKey())
        let spliced = token.split(separator: ".")[0...1].joined(separator: ".") + "." + forged.split(separator: ".")[2]
        #expect(await refusal(spliced) == "subject_token has an invalid signature")
    }

    @Test func aClockSetBackRefusesAKeptTokenIssuedInItsNewFuture() async throws {
        let token = try token()
        #expect(await refusal(token) == nil)
        clock.advance(by: .seconds(-(SubjectTokenVerifier.clockSkew + 5)))
        #expect(await refusal(token) == "subject_token was issued in the future (iat)")
    }

    /// An entry made up here, kept under the digest of a text that is no JWT at all: whatever
    /// answers for it comes from the cache; a refusal is full verification's.
    func madeUp(
        issuer: TrustedIssuer = VerifiedTokenCacheTests.issuer, algorithm: String = "ES256", material: [UInt8]? = nil,
        expiresIn: Int64 = 600, latestStartIn: Int64? = nil
    ) -> String {
        let now = clock.now().secondsSince1970
        let subject = VerifiedSubject(issuer: issuer, sub: "made-up", claims: [:], policyClaims: [:], acr: nil, authTime: nil)
        let entry = VerifiedTokenCache.Entry(
            subject: subject, kid: "k1", algorithm: algorithm, keyMaterial: material ?? Array(key.publicKey.rawRepresentation),
            expiresAt: now + expiresIn, latestStart: latestStartIn.map { now + $0 }, cost: 1)
        let text = "not-a-jwt-\(UInt64.random(in: 0...UInt64.max))"
        verified.insert(VerifiedTokenCache.digest(text)!, entry)
        return text
    }

    @Test func aKeptEntryAnswersOnlyWhileEveryCheckHolds() async throws {
        let notAJWT = "subject_token is not a signed JWT (compact JWS with three parts)"
        #expect(try await verifier.verify(madeUp(), parameter: "subject_token").sub == "made-up")
        var changed = Self.issuer
        changed.audience = "another"
        #expect(await refusal(madeUp(issuer: changed)) == notAJWT)
        #expect(await refusal(madeUp(algorithm: "ES384")) == notAJWT)
        #expect(await refusal(madeUp(material: Array(P256.Signing.PrivateKey().publicKey.rawRepresentation))) == notAJWT)
        #expect(await refusal(madeUp(expiresIn: -SubjectTokenVerifier.clockSkew)) == notAJWT)
        #expect(await refusal(madeUp(latestStartIn: SubjectTokenVerifier.clockSkew + 1)) == notAJWT)
        #expect(await refusal(madeUp(latestStartIn: SubjectTokenVerifier.clockSkew)) == nil)
    }

    func entry(cost: Int) -> VerifiedTokenCache.Entry {
        let subject = VerifiedSubject(issuer: Self.issuer, sub: "s", claims: [:], policyClaims: [:], acr: nil, authTime: nil)
        return VerifiedTokenCache.Entry(
            subject: subject, kid: nil, algorithm: "ES256", keyMaterial: [], expiresAt: 0, latestStart: nil, cost: cost)
    }

    @Test func pastCapacityTheOldestEntryGoesFirst() throws {
        let cache = VerifiedTokenCache(capacity: 2)
        let digests = try ["a", "b", "c"].map { try #require(VerifiedTokenCache.digest($0)) }
        cache.insert(digests[0], entry(cost: 1))
        cache.insert(digests[1], entry(cost: 1))
        cache.insert(digests[0], entry(cost: 1))  // already kept: not a new entry
        #expect(cache.count == 2)
        cache.insert(digests[2], entry(cost: 1))
        #expect(cache.entry(digests[0]) == nil)
        #expect(cache.entry(digests[1]) != nil && cache.entry(digests[2]) != nil)
    }

    @Test func pastTheByteBudgetTheOldestEntriesGoFirst() throws {
        let cache = VerifiedTokenCache(capacity: 100, budgetBytes: 1000)
        let digests = try (0..<5).map { try #require(VerifiedTokenCache.digest("t\($0)")) }
        cache.insert(digests[0], entry(cost: 400))
        cache.insert(digests[1], entry(cost: 400))
        cache.insert(digests[2], entry(cost: 600))  // 1,400 bytes: the oldest makes room
        #expect(cache.entry(digests[0]) == nil && cache.entry(digests[1]) != nil && cache.entry(digests[2]) != nil)
        #expect(cache.bytes == 1000)
        cache.insert(digests[3], entry(cost: 700))  // 1,700 bytes: the two oldest make room
        #expect(cache.entry(digests[1]) == nil && cache.entry(digests[2]) == nil && cache.bytes == 700)
        cache.insert(digests[4], entry(cost: 1001))  // larger than the whole budget: never kept
        #expect(cache.entry(digests[4]) == nil && cache.entry(digests[3]) != nil && cache.bytes == 700)
        // Many more than the capacity pass through without the order growing past it for long.
        for i in 0..<1000 { cache.insert(try #require(VerifiedTokenCache.digest("u\(i)")), entry(cost: 1)) }
        #expect(cache.count == 100)
        #expect(cache.table.withLock { $0.order.count - $0.head } == 100)
        #expect(cache.table.withLock { $0.order.count } <= 300)
    }

    @Test func theCostCountsEveryClaimValue() throws {
        let bloated = try #require(
            try JSONParser().parse("{\"x\":[" + Array(repeating: "0", count: 1000).joined(separator: ",") + "]}").objectValue)
        #expect(VerifiedTokenCache.cost(tokenBytes: 3000, claims: bloated) == 3000 + VerifiedTokenCache.bytesPerValue * 1002)
        #expect(VerifiedTokenCache.cost(tokenBytes: 10, claims: [:]) == 10 + VerifiedTokenCache.bytesPerValue)
    }

    @Test func aTokenOverTheSizeLimitIsNeverKept() {
        #expect(VerifiedTokenCache.digest(String(repeating: "a", count: VerifiedTokenCache.maxTokenBytes)) != nil)
        #expect(VerifiedTokenCache.digest(String(repeating: "a", count: VerifiedTokenCache.maxTokenBytes + 1)) == nil)
    }
}
