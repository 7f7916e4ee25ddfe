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
}
