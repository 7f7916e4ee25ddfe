import CountersignCore
import CountersignStore
import Foundation
import Testing

/// Migration 9: the audit table loses its unique index on `prev_hash` and keeps its events,
/// their chain and its append-only triggers.
@Suite struct AuditTableMigrationTests {
    /// Runs a Python sqlite3 script against `path`; returns what it printed.
    static func python(_ script: String, _ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Puts the table back in its shape before migration 9 (prev_hash UNIQUE, with its two
    /// append-only triggers) and forgets the migration, as a database written by an earlier
    /// countersign has it.
    static let downgrade = """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1])
        c.executescript('''
        CREATE TABLE old (seq INTEGER PRIMARY KEY NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL,
            actor TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL UNIQUE, hash TEXT NOT NULL) STRICT;
        INSERT INTO old SELECT * FROM audit_events;
        DROP TABLE audit_events;
        ALTER TABLE old RENAME TO audit_events;
        CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
        CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
        DELETE FROM schema_migrations WHERE version = 9;
        ''')
        c.commit()
        print(len(c.execute("PRAGMA index_list(audit_events)").fetchall()))
        """

    static let inspect = """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1])
        print(len(c.execute("PRAGMA index_list(audit_events)").fetchall()))
        print(sorted(r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")))
        for sql in ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"]:
            try:
                c.execute(sql); c.commit(); print("allowed")
            except sqlite3.DatabaseError as e:
                print(e)
        """

    @Test func anUpgradedDatabaseKeepsItsChainAndLosesTheHashIndex() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let store = try await SQLiteStore.open(path: path)
            for n in 0..<5 { try await store.append([SQLiteStoreTests.record("x", n), SQLiteStoreTests.record("y", n)]) }
            let before = try await store.events(after: 0, limit: 100)
            await store.close()
            #expect(try Self.python(Self.downgrade, path) == "1\n")

            let upgraded = try await SQLiteStore.open(path: path)
            #expect(try await upgraded.events(after: 0, limit: 100) == before)
            try await upgraded.append([SQLiteStoreTests.record("after")])
            let verdict = try await SQLiteStoreTests.verify(upgraded)
            #expect(verdict.count == 11 && verdict.error == nil)
            await upgraded.close()
            #expect(
                try Self.python(Self.inspect, path)
                    == """
                    0
                    ['audit_events_append_only_delete', 'audit_events_append_only_update']
                    audit_events is append-only
                    audit_events is append-only

                    """)
        }
    }
}
