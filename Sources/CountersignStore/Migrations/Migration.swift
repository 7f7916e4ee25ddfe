/// One versioned schema change. Migrations run in order on start, each in its own transaction,
/// and the applied versions are recorded in `schema_migrations`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// Statements run in order.
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
