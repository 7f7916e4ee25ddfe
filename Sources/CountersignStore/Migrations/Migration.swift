/// One versioned schema change. Migrations run in order on start, each in its own transaction,
/// and the applied versions are recorded in `schema_migrations`.
public struct Migration: Sendable {
    /// The schema version it brings the store to, recorded in `schema_migrations`.
    public let version: Int
    /// What it changes, in a few words, recorded with its version in `schema_migrations`.
    public let name: String
    /// Statements run in order.
    public let statements: [String]

    /// A migration to `version`.
    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
