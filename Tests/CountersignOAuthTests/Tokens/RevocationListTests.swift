import CountersignCore
import CountersignOAuth
import CountersignTestSupport
import Testing

/// The revocation list (docs/ARCHITECTURE.md, "Caches and their staleness"): written through on revocation, and a
/// reload from the store merges into memory rather than replacing it.
@Suite struct RevocationListTests {
    typealias F = OAuthFixture

    @Test func aRevocationSurvivesAReloadThatReadBeforeIt() async throws {
        try await F.with { f in
            let token = try await f.accessToken()
            // A reload that read the store earlier merges; it never drops a newer revocation.
            #expect(await f.revoke("token=\(token)").status == 200)
            try await f.server.revocations.reload()
            #expect(await f.introspect(token).json == ["active": false])
        }
    }
}
