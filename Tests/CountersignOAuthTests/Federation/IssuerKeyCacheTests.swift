import CountersignCore
import Crypto
import Logging
import Synchronization
import Testing

@testable import CountersignOAuth

/// The cache of trusted issuers' keys: kept for the JWKS's lifetime, refetched at most once per
/// cooldown, failing closed, one fetch for many waiters, no wait without end.
@Suite struct IssuerKeyCacheTests {
    /// An issuer's documents in memory: what each URL answers, how often it was asked, and an
    /// optional gate the fetch waits at (ignoring cancellation, as a badly written fetcher would).
    final class Documents: IssuerDocumentFetching {
        enum Answer: Sendable {
            case document([UInt8], maxAge: Int?)
            case failure(String)
        }

        let answers = Mutex<[String: Answer]>([:])
        let calls = Mutex<[String: Int]>([:])
        let gateOpen = Mutex<Bool>(true)

        func set(_ url: String, _ answer: Answer) { answers.withLock { $0[url] = answer } }
        func count(_ url: String) -> Int { calls.withLock { $0[url, default: 0] } }

        func fetch(_ url: String, as purpose: OutboundURLPolicy.Purpose) async throws(FetchFailure) -> (body: [UInt8], maxAge: Int?) {
            calls.withLock { $0[url, default: 0] += 1 }
            while !gateOpen.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            switch answers.withLock({ $0[url] }) {
            case .document(let body, let maxAge)?: return (body, maxAge)
            case .failure(let why)?: throw FetchFailure(why)
            case nil: throw FetchFailure("\(url) answered 404")
            }
        }
    }

    static let jwksURI = "https://idp.example.com/jwks.json"
    static let issuer = TrustedIssuer(issuer: "https://idp.example.com", audience: "cs", jwksURI: jwksURI, createdAt: .epoch)
    let documents = Documents()
    let clock = ManualClock(Instant(secondsSince1970: 1_767_614_400))
    let key = P256.Signing.PrivateKey()

    func cache(cooldownSeconds: Int = 30, refreshDeadline: Duration = .seconds(5)) -> IssuerKeyCache {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return IssuerKeyCache(
            fetcher: documents, cooldownSeconds: cooldownSeconds, refreshDeadline: refreshDeadline, clock: clock,
            logger: logger)
    }

    func publish(maxAge: Int?) {
        let jwks = #"{"keys":[\#(IssuerKeySetTests.ecJWK(key, kid: "k1"))]}"#
        documents.set(Self.jwksURI, .document(Array(jwks.utf8), maxAge: maxAge))
    }

    func found(_ cache: IssuerKeyCache) async -> Bool {
        if case .key = await cache.key(issuer: Self.issuer, kid: "k1", alg: "ES256") { return true }
        return false
    }

    /// After first use, the keys are refetched exactly when `lifetime` seconds have passed.
    func expectLifetime(maxAge: Int?, lifetime: Int64, _ comment: Comment) async {
        let cache = cache(cooldownSeconds: 1)
        publish(maxAge: maxAge)
        #expect(await found(cache), comment)
        clock.advance(by: .seconds(lifetime - 1))
        #expect(await found(cache), comment)
        #expect(documents.count(Self.jwksURI) == 1, comment)
        clock.advance(by: .seconds(2))
        #expect(await found(cache), comment)
        #expect(documents.count(Self.jwksURI) == 2, comment)
    }

    @Test func maxAgeIsHonoured() async {
        await expectLifetime(maxAge: 120, lifetime: 120, "max-age=120")
    }

    @Test func maxAgeBelowAMinuteCountsAsAMinute() async {
        await expectLifetime(maxAge: 5, lifetime: 60, "max-age=5")
        await IssuerKeyCacheTests().expectLifetime(maxAge: 0, lifetime: 60, "no-store")
    }

    @Test func maxAgeAboveADayCountsAsADay() async {
        await expectLifetime(maxAge: 10_000_000, lifetime: 86_400, "max-age=10000000")
    }

    @Test func noMaxAgeMeansTenMinutes() async {
        await expectLifetime(maxAge: nil, lifetime: 600, "no Cache-Control")
    }

    @Test func expiredKeysAreDroppedWhenTheFetchFails() async {
        let cache = cache(cooldownSeconds: 30)
        publish(maxAge: 120)
        #expect(await found(cache))
        documents.set(Self.jwksURI, .failure("answered 500"))
        clock.advance(by: .seconds(121))
        guard case .unavailable(let why) = await cache.key(issuer: Self.issuer, kid: "k1", alg: "ES256") else {
            Issue.record("a key past its lifetime was used after the fetch failed")
            return
        }
        #expect(why == "answered 500")
        #expect(cache.entries.withLock { $0[Self.issuer.issuer]?.keys.isEmpty } == true, "the expired keys are gone")
        // Within the cooldown the failure is answered without asking the IdP again.
        #expect(!(await found(cache)))
        #expect(documents.count(Self.jwksURI) == 2)
    }

    @Test func freshKeysSurviveAFailedRefetchForAnUnknownKid() async {
        let cache = cache(cooldownSeconds: 1)
        publish(maxAge: 300)
        #expect(await found(cache))
        documents.set(Self.jwksURI, .failure("answered 500"))
        clock.advance(by: .seconds(2))
        guard case .unknownKey = await cache.key(issuer: Self.issuer, kid: "other", alg: "ES256") else {
            Issue.record("an unknown kid with fresh keys is an unknown key")
            return
        }
        #expect(await found(cache), "keys within their lifetime stay usable")
    }

    @Test func concurrentMissesShareOneFetch() async {
        // A deadline far beyond the test's own waits: on a loaded machine the default 5 s
        // could pass before the gate opens, and the waiters would rightly give up.
        let cache = cache(refreshDeadline: .seconds(120))
        publish(maxAge: 300)
        documents.gateOpen.withLock { $0 = false }
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { await self.found(cache) } }
            // Every lookup has had time to reach the fetch; a second fetch would be counted.
            while documents.count(Self.jwksURI) == 0 { try? await Task.sleep(for: .milliseconds(5)) }
            try? await Task.sleep(for: .milliseconds(300))
            documents.gateOpen.withLock { $0 = true }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 20))
        #expect(documents.count(Self.jwksURI) == 1)
    }

    @Test func waitersGiveUpOnAFetchThatNeverEnds() async {
        let cache = cache(refreshDeadline: .milliseconds(200))
        publish(maxAge: 300)
        documents.gateOpen.withLock { $0 = false }
        defer { documents.gateOpen.withLock { $0 = true } }
        let answers = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    if case .unavailable(let why) = await cache.key(issuer: Self.issuer, kid: "k1", alg: "ES256") { return why }
                    return nil
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0?.hasPrefix("fetching the keys took longer than") == true }, "\(answers)")
        // The hung fetch is not joined again: within the cooldown the answer comes at once.
        guard case .unavailable = await cache.key(issuer: Self.issuer, kid: "k1", alg: "ES256") else {
            Issue.record("a lookup after a timed-out fetch must fail closed")
            return
        }
        #expect(documents.count(Self.jwksURI) == 1)
    }

    @Test func aDiscoveredJWKSURIMustUseHTTPSAndNotBeLinkLocal() async {
        let issuer = TrustedIssuer(issuer: "https://idp.example.com", audience: "cs", createdAt: .epoch)
        let discovery = "https://idp.example.com/.well-known/openid-configuration"
        for (jwks, problem) in [
            ("http://idp.example.com/jwks.json", "must use https"),
            ("https://169.254.169.254/latest/meta-data/", "must not point to the link-local address 169.254.169.254"),
            ("https://[fe80::1]/jwks.json", "must not point to the link-local address fe80::1"),
            ("https://2852039166/jwks.json", "must not name an IP address in a non-standard form"),
            // A remote issuer cannot send us to a service on this machine.
            ("http://127.0.0.1:6379/jwks.json", "must not point to this machine"),
            ("https://localhost/jwks.json", "must not point to this machine"),
            ("http://[::1]:2379/", "must not point to this machine"),
        ] {
            let cache = cache()
            documents.set(discovery, .document(Array(#"{"issuer":"https://idp.example.com","jwks_uri":"\#(jwks)"}"#.utf8), maxAge: nil))
            documents.set(jwks, .document(Array(#"{"keys":[\#(IssuerKeySetTests.ecJWK(key, kid: "k1"))]}"#.utf8), maxAge: nil))
            guard case .unavailable(let why) = await cache.key(issuer: issuer, kid: "k1", alg: "ES256") else {
                Issue.record("\(jwks) was fetched")
                continue
            }
            #expect(why.contains(problem), "\(why)")
            #expect(documents.count(jwks) == 0, "\(jwks) is never fetched")
        }
    }

    @Test func aLoopbackJWKSURIIsFineForALoopbackIssuer() {
        func problem(_ url: String, namedBy issuer: String) -> String? {
            OutboundURLPolicy.textProblem(url, for: .jwksNamedBy(issuer: issuer))?.description
        }
        #expect(problem("http://127.0.0.1:9000/jwks", namedBy: "http://127.0.0.1:9000") == nil)
        #expect(problem("http://localhost:9000/jwks", namedBy: "http://127.0.0.1:9000") == nil)
        #expect(problem("https://keys.example.com/jwks", namedBy: "https://idp.example.com") == nil)
        #expect(
            problem("http://127.0.0.1:9000/jwks", namedBy: "https://idp.example.com")?.contains("must not point to this machine") == true)
    }

    @Test(
        arguments: [
            ("https://idp.example.com", nil), ("http://127.0.0.1:8080", nil), ("http://127.9.9.9", nil), ("http://[::1]:80/x", nil),
            ("http://localhost:3000", nil), ("HTTP://LOCALHOST", nil),
            ("http://idp.example.com", "must use https"), ("http://10.0.0.5", "must use https"),
            ("http://[::ffff:7f00:1]", nil), ("http://127.1", "non-standard form"), ("http://0x7f.0.0.1", "non-standard form"),
            ("https://169.254.169.254", "link-local"), ("http://169.254.169.254", "link-local"),
            ("https://[fe80::abcd]", "link-local"), ("https://[::ffff:169.254.1.1]", "link-local"),
            ("ftp://idp.example.com", "absolute http(s) URL"),
        ] as [(String, String?)])
    func issuerURLRule(url: String, problem: String?) {
        let found = OutboundURLPolicy.textProblem(url, for: .issuerDocument)?.description
        if let problem {
            #expect(found?.contains(problem) == true, "\(url): \(found ?? "allowed")")
        } else {
            #expect(found == nil, "\(url): \(found ?? "")")
        }
    }
}
