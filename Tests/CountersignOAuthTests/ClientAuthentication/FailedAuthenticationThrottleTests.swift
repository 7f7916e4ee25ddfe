import CountersignCore
import CountersignStore
import CountersignTestSupport
import Synchronization
import Testing

@testable import CountersignOAuth

@Suite struct FailedAuthenticationThrottleTests {
    typealias F = OAuthFixture

    @Test func aFloodOfWrongSecretsIsThrottledWith429() async throws {
        try await F.with { f in
            var statuses: [Int] = []
            for _ in 0..<105 {
                statuses.append(await f.token("grant_type=client_credentials", auth: F.basic("app", "wrong")).status)
            }
            #expect(statuses.prefix(100).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(5).allSatisfy { $0 == 429 })
            // Even the right secret waits: the address is throttled, not the guess.
            let reply = await f.token("grant_type=client_credentials")
            #expect(reply.status == 429)
            #expect(reply.error == "temporarily_unavailable")
            #expect(Int(reply.header("Retry-After") ?? "") ?? 0 > 0)
            let bursts = try await f.store.events(after: 0, limit: 10_000).filter { $0.type == "authentication.throttled" }
            #expect(bursts.count == 1 && bursts.first?.data["reached_by"] == .string("client"))
            #expect(bursts.first?.data["ip"] == .string("127.0.0.1"))
        }
    }

    @Test func theWindowPassesAndOtherAddressesAreUnaffected() {
        let throttle = FailedAuthenticationThrottle(limit: 3, window: .seconds(60))
        let start = ContinuousClock.now
        for _ in 0..<3 { throttle.recordFailure("10.0.0.1", now: start) }
        #expect(throttle.retryAfter("10.0.0.1", now: start) == 60)
        #expect(throttle.retryAfter("10.0.0.2", now: start) == nil)
        #expect(throttle.retryAfter("10.0.0.1", now: start + .seconds(61)) == nil)
    }

    @Test func memoryIsBounded() {
        let throttle = FailedAuthenticationThrottle(limit: 3, window: .seconds(60), maxTracked: 100)
        for i in 0..<1000 { throttle.recordFailure("10.0.\(i / 256).\(i % 256)") }
        #expect(throttle.entries.withLock { $0.count } <= 100)
    }
}
