import CountersignCore
import CountersignStore
import Testing

/// Migration 11: a revocation an earlier version wrote with its expiry in seconds (a replayed
/// `auth_req_id`) is read in milliseconds after the upgrade, so the purge keeps it while its
/// token lives.
@Suite struct RevocationUnitMigrationTests {
    static let downgrade = """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1])
        c.execute("INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) VALUES ('replayed', 'c', 4102444800, 0)")
        c.execute("INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) VALUES ('right', 'c', 4102444800000, 0)")
        c.execute("DELETE FROM schema_migrations WHERE version = 11")
        c.commit()
        print("ok")
        """

    @Test func aRevocationWrittenInSecondsSurvivesThePurgeAfterTheUpgrade() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            await (try await SQLiteStore.open(path: path)).close()
            #expect(try AuditTableMigrationTests.python(Self.downgrade, path) == "ok\n")
            let upgraded = try await SQLiteStore.open(path: path)
            let now = Instant(rfc3339: "2026-12-07T00:00:00Z")!
            #expect(try await upgraded.purgeExpiredRevocations(now: now) == 0)
            let expiry = Instant(rfc3339: "2100-01-01T00:00:00Z")!
            #expect(try await upgraded.revocations(activeAt: now) == ["replayed": expiry, "right": expiry])
            await upgraded.close()
        }
    }
}
