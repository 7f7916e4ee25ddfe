import CountersignCore

/// Applies pending migrations in order, each atomically with its `schema_migrations` row.
/// Refuses a database written by a newer version.
struct SQLiteMigrator {
    let database: SQLiteDatabase
    let clock: any WallClock

    func migrate(_ migrations: [Migration]) throws {
        try database.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        let rows = try database.query("SELECT version FROM schema_migrations")
        let applied = Set(rows.compactMap { $0.column("version")?.integer })
        let newest = migrations.map(\.version).max() ?? 0
        if let unknown = applied.max(), unknown > newest {
            throw StoreError.corrupt(
                "the database has schema version \(unknown); this countersign knows up to \(newest). Upgrade countersign."
            )
        }
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
            try database.query("BEGIN IMMEDIATE")
            do {
                // Another process (a CLI command beside the server) may have applied it meanwhile.
                let done = try database.query(
                    "SELECT 1 AS done FROM schema_migrations WHERE version = ?", [.integer(migration.version)])
                if !done.isEmpty {
                    try database.query("COMMIT")
                    continue
                }
                for statement in migration.statements { try database.execute(statement) }
                try database.query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(migration.version), .text(migration.name), .instant(clock.now())])
                try database.query("COMMIT")
            } catch {
                _ = try? database.query("ROLLBACK")
                throw error
            }
        }
    }
}
