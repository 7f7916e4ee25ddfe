import CountersignCore

extension SQLiteStore: UserStore {
    /// Inserts the user. One writer transaction with its audit event.
    public func create(_ user: User, audit: AuditRecord) async throws {
        let binds: [SQLiteValue] = [
            .text(user.name), .text(Self.encodeList(user.groups)), .text(Self.encodeList(user.roles)),
            .text(CanonicalJSON.exactString(.object(user.claims.mapValues(JSONValue.string)))),
            .text(Self.encodeList(user.aliases)), .integer(user.disabled ? 1 : 0), .instant(user.createdAt),
        ]
        do {
            try await writer.write(audit: [audit]) { connection in
                _ = try connection.query(
                    "INSERT INTO users (name, groups, roles, claims, aliases, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    binds)
            }
        } catch StoreError.conflict {
            throw StoreError.conflict("a user named \(user.name) already exists")
        }
    }

    /// Sets `disabled` with its event and a feed row, so every process's open streams re-check the user.
    public func setDisabled(_ disabled: Bool, name: String, audit: AuditRecord) async throws {
        let (origin, now) = (origin, clock.now())
        try await writer.write(audit: [audit]) { connection in
            let changed = try connection.query(
                "UPDATE users SET disabled = ? WHERE name = ? RETURNING name", [.integer(disabled ? 1 : 0), .text(name)])
            guard !changed.isEmpty else { throw StoreError.notFound("there is no user named \(name)") }
            try Self.recordChange(Self.userChangeKind, requestID: nil, userName: name, origin: origin, now: now, connection)
        }
    }

    /// The user with this name. On a reader connection on the caller's thread.
    public func user(named name: String) async throws -> User? {
        try read { connection in
            try connection.query("SELECT * FROM users WHERE name = ?", [.text(name)]).first.map(Self.decodeUser)
        }
    }

    /// Every user by name, on a pool thread.
    public func users() async throws -> [User] {
        try await scan { connection in try connection.query("SELECT * FROM users ORDER BY name").map(Self.decodeUser) }
    }

    /// Replaces the token hash with its event and a feed row, so every process's open streams re-check the user.
    public func replaceToken(hash: [UInt8], for user: String, createdAt: Instant, audit: AuditRecord) async throws {
        let (origin, now) = (origin, clock.now())
        try await writer.write(audit: [audit]) { connection in
            guard try !connection.query("SELECT name FROM users WHERE name = ?", [.text(user)]).isEmpty else {
                throw StoreError.notFound("no user named \(user)")
            }
            _ = try connection.query("DELETE FROM user_tokens WHERE user_name = ?", [.text(user)])
            _ = try connection.query(
                "INSERT INTO user_tokens (token_hash, user_name, created_at) VALUES (?, ?, ?)",
                [.text(hash.hexString), .text(user), .instant(createdAt)])
            try Self.recordChange(Self.userChangeKind, requestID: nil, userName: user, origin: origin, now: now, connection)
        }
    }

    /// The enabled or disabled user whose token has this hash. On a reader connection on the caller's thread.
    public func user(tokenHash: [UInt8]) async throws -> User? {
        try read { connection in
            try connection.query(
                "SELECT users.* FROM user_tokens JOIN users ON users.name = user_tokens.user_name WHERE token_hash = ?",
                [.text(tokenHash.hexString)]
            ).first.map(Self.decodeUser)
        }
    }

    static func decodeUser(_ row: SQLiteRow) -> User {
        let claims = (try? JSONParser().parse(row.column("claims")?.string ?? "{}"))?.objectValue ?? [:]
        return User(
            name: row.column("name")?.string ?? "", groups: decodeList(row.column("groups")?.string),
            roles: decodeList(row.column("roles")?.string), claims: claims.compactMapValues(\.stringValue),
            aliases: decodeList(row.column("aliases")?.string), disabled: (row.column("disabled")?.integer ?? 0) != 0,
            createdAt: row.column("created_at")?.instant ?? .epoch)
    }
}
