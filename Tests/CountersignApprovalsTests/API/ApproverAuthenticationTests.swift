import CountersignApprovals
import CountersignCore
import CountersignStore
import CountersignTestSupport
import Testing

@testable import CountersignOAuth

/// Approver authentication (`Authorization: Bearer <personal token>`): failures are counted per
/// address with client authentication's (RFC 6749 §10.10), answered 429 past the limit, and a
/// burst is audited once.
@Suite struct ApproverAuthenticationTests {
    typealias F = OAuthFixture

    static func failure(_ body: () async throws(OAuthError) -> User) async -> OAuthError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test func aFloodOfWrongPersonalTokensIsThrottledAndAuditedOnce() async throws {
        try await F.with { f in
            let api = f.approvals.api
            let user = User(name: "fiona", groups: ["finance-leads"], createdAt: f.clock.now())
            try await f.store.create(user, audit: AuditRecord(type: "user.created", actor: "test", data: user.auditData))
            let token = PersonalToken.generate()
            try await f.store.replaceToken(
                hash: PersonalToken.hash(token, serverKey: f.serverKey), for: "fiona", createdAt: f.clock.now(),
                audit: AuditRecord(type: "user.token_created", actor: "test", data: ["name": "fiona"]))

            var statuses: [Int] = []
            for i in 0..<150 {
                let wrong = await Self.failure { () async throws(OAuthError) in
                    try await api.authenticate(["Bearer csu_wrong\(i)"], from: "10.0.0.9")
                }
                statuses.append(wrong?.status ?? 200)
            }
            #expect(statuses.prefix(100).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(50).allSatisfy { $0 == 429 })
            // The right token waits too: the address is throttled, not the guess.
            let throttled = await Self.failure { () async throws(OAuthError) in
                try await api.authenticate(["Bearer \(token)"], from: "10.0.0.9")
            }
            #expect(throttled?.status == 429 && throttled?.code == .tooManyRequests)
            #expect(throttled?.description.hasPrefix("too many failed authentications from this address; retry in ") == true)
            let retryAfter = throttled?.response.headers.first { $0.0 == "Retry-After" }?.1
            #expect((Int(retryAfter ?? "") ?? 0) > 0)
            // Another address is not affected.
            #expect(try await api.authenticate(["Bearer \(token)"], from: "10.0.0.10").name == "fiona")

            let bursts = try await f.store.events(after: 0, limit: 10_000).filter {
                $0.type == "authentication.throttled"
            }
            #expect(bursts.count == 1)
            #expect(bursts.first?.data["ip"] == .string("10.0.0.9"))
            #expect(bursts.first?.data["failures"] == .number(JSONNumber(100)))
        }
    }

    @Test func approverAndClientFailuresShareOneCount() async throws {
        try await F.with { f in
            for _ in 0..<60 { _ = await f.token("grant_type=client_credentials", auth: F.basic("app", "wrong")) }
            var statuses: [Int] = []
            for _ in 0..<45 {
                let wrong = await Self.failure { () async throws(OAuthError) in
                    try await f.approvals.api.authenticate(["Bearer csu_nobody"], from: "127.0.0.1")
                }
                statuses.append(wrong?.status ?? 200)
            }
            #expect(statuses.prefix(40).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(5).allSatisfy { $0 == 429 })
            // The burst is audited once, by whichever failure reached the limit.
            let bursts = try await f.store.events(after: 0, limit: 10_000).filter { $0.type == "authentication.throttled" }
            #expect(bursts.count == 1 && bursts.first?.data["reached_by"] == .string("approver"))
        }
    }

    @Test func aReplacedTokenStopsWorkingAtOnce() async throws {
        try await F.with { f in
            let user = User(name: "gita", createdAt: f.clock.now())
            try await f.store.create(user, audit: AuditRecord(type: "user.created", actor: "test", data: user.auditData))
            var tokens: [String] = []
            for _ in 0..<2 {
                let token = PersonalToken.generate()
                try await f.store.replaceToken(
                    hash: PersonalToken.hash(token, serverKey: f.serverKey), for: "gita", createdAt: f.clock.now(),
                    audit: AuditRecord(type: "user.token_created", actor: "test", data: ["name": "gita"]))
                tokens.append(token)
            }
            let old = await Self.failure { () async throws(OAuthError) in
                try await f.approvals.api.currentUser(["Bearer \(tokens[0])"])
            }
            #expect(old?.status == 401)
            #expect(try await f.approvals.api.currentUser(["Bearer \(tokens[1])"]).name == "gita")
        }
    }
}
