import CountersignCore
import CountersignOAuth
import CountersignStore
import CountersignTestSupport
import Testing

/// Key rotation (docs/ARCHITECTURE.md, "Signing keys and rotation"; RFC 8725 §3.1): a planned
/// rotation publishes the next key before it signs and keeps the old one published while its
/// tokens live; an immediate one signs and unpublishes at once.
@Suite struct KeyRotationTests {
    typealias F = OAuthFixture

    @Test func anImmediateRotationSignsAtOnce() async throws {
        try await F.with { f in
            let next = try await KeyRotation.rotate(
                store: f.store, serverKey: f.serverKey, now: f.clock.now(), actor: "test", immediately: true)
            try await f.server.keys.reload()
            #expect(f.server.keys.activeKid == next.kid)
        }
    }

    @Test func anImmediateRotationUnpublishesTheCompromisedKey() async throws {
        try await F.with { f in
            let old = try await f.accessToken()
            let oldKid = f.server.keys.activeKid
            try await KeyRotation.rotate(
                store: f.store, serverKey: f.serverKey, now: f.clock.now(), actor: "test", immediately: true)
            f.clock.advance(by: .seconds(1))
            try await f.server.keys.reload()
            let jwks = CanonicalJSON.string(try JSONParser().parse(f.server.keys.jwksDocument))
            #expect(!jwks.contains(oldKid))
            #expect(await f.introspect(old).json == ["active": false])
        }
    }

    @Test func rotatedKeysKeepVerifyingTheirTokens() async throws {
        try await F.with { f in
            let old = try await f.accessToken()
            let oldKid = f.server.keys.activeKid
            let next = try await KeyRotation.rotate(
                store: f.store, serverKey: f.serverKey, now: f.clock.now(), actor: "test")
            try await f.server.keys.reload()
            // Published at once, signing only after the JWKS cache lifetime.
            #expect(f.server.keys.activeKid == oldKid)
            let jwks = try JSONParser().parse(f.server.keys.jwksDocument)
            guard case .array(let keys)? = jwks.objectValue?["keys"] else { Issue.record("no keys"); return }
            #expect(keys.count == 2)
            #expect(keys.contains { $0.objectValue?["kid"] == .string(next.kid) })
            f.clock.advance(by: .seconds(KeyRotation.prepublication.wholeSeconds + 1))
            try await f.server.keys.reload()
            #expect(f.server.keys.activeKid == next.kid)
            #expect(await f.introspect(old).json["active"] == true)
            let new = try await f.accessToken()
            #expect(new.split(separator: ".")[0] != old.split(separator: ".")[0])
            #expect(await f.introspect(new).json["active"] == true)
            // Once every token of the old key has expired, it leaves the JWKS.
            f.clock.advance(by: .seconds(AccessTokenLifetime.maximum + AccessTokenLifetime.clockSkew + 1))
            #expect(await f.introspect(old).json == ["active": false])
            try await f.server.keys.reload()
            let later = try JSONParser().parse(f.server.keys.jwksDocument)
            guard case .array(let remaining)? = later.objectValue?["keys"] else { Issue.record("no keys"); return }
            #expect(remaining.count == 1)
        }
    }
}
