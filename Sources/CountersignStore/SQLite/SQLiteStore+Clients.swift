import CountersignCore

extension SQLiteStore: ClientStore {
    /// The client with this id. On a reader connection on the caller's thread.
    public func client(id: String) async throws -> OAuthClient? {
        try read { connection in
            return try connection.query("SELECT * FROM clients WHERE id = ?", [.text(id)]).first.map(Self.decodeClient)
        }
    }

    /// Every client by id, on a pool thread.
    public func clients() async throws -> [OAuthClient] {
        try await scan { connection in
            return try connection.query("SELECT * FROM clients ORDER BY id").map(Self.decodeClient)
        }
    }

    /// Inserts the client. One writer transaction with its audit event.
    public func create(_ client: OAuthClient, audit: AuditRecord) async throws {
        let binds: [SQLiteValue] = [
            .text(client.id), client.secretHash.map { .text($0.hexString) } ?? .null,
            .text(Self.encodeList(client.grantTypes.map(\.rawValue))), .text(client.scopes.joined(separator: " ")),
            .text(Self.encodeList(client.redirectURIs)), .text(Self.encodeList(client.resources)),
            Self.optional(client.cibaMode), Self.optional(client.notificationEndpoint), Self.optional(client.jwksURI),
            .instant(client.createdAt), Self.optional(client.maxTokenLifetime), .integer(client.assertsUsers ? 1 : 0),
        ]
        do {
            try await writer.write(audit: [audit]) { connection in
                _ = try connection.query(
                    """
                    INSERT INTO clients (id, secret_hash, grant_types, scopes, redirect_uris, resources, ciba_mode,
                        notification_endpoint, jwks_uri, created_at, max_token_lifetime, asserts_users)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, binds)
            }
        } catch StoreError.conflict {
            throw StoreError.conflict("a client with id \"\(client.id)\" already exists")
        }
    }

    /// Deletes the client. One writer transaction with its audit event.
    public func delete(id: String, audit: AuditRecord) async throws -> Bool {
        do {
            try await writer.write(audit: [audit]) { connection in
                let rows = try connection.query("DELETE FROM clients WHERE id = ? RETURNING id", [.text(id)])
                if rows.isEmpty { throw NotFound() }
            }
            return true
        } catch is NotFound {
            return false
        }
    }

    /// Replaces the secret hash, keeping the old one until `previousValidUntil`, with its event in one transaction.
    public func rotateSecret(id: String, hash: [UInt8], previousValidUntil: Instant?, audit: AuditRecord) async throws -> Bool {
        do {
            try await writer.write(audit: [audit]) { connection in
                let rows = try connection.query(
                    """
                    UPDATE clients SET
                        previous_secret_hash = CASE WHEN ?1 IS NULL THEN NULL ELSE secret_hash END,
                        previous_secret_valid_until = ?1,
                        secret_hash = ?2
                    WHERE id = ?3 AND secret_hash IS NOT NULL RETURNING id
                    """, [.instant(previousValidUntil), .text(hash.hexString), .text(id)])
                if rows.isEmpty { throw NotFound() }
            }
            return true
        } catch is NotFound {
            return false
        }
    }

    struct NotFound: Error {}

    static func decodeClient(_ row: SQLiteRow) -> OAuthClient {
        OAuthClient(
            id: row.column("id")?.string ?? "",
            secretHash: row.column("secret_hash")?.string.flatMap(Self.decodeHex),
            grantTypes: decodeList(row.column("grant_types")?.string).map { GrantType(rawValue: $0) },
            scopes: (row.column("scopes")?.string ?? "").split(separator: " ").map(String.init),
            redirectURIs: decodeList(row.column("redirect_uris")?.string),
            resources: decodeList(row.column("resources")?.string),
            cibaMode: row.column("ciba_mode")?.string,
            notificationEndpoint: row.column("notification_endpoint")?.string,
            jwksURI: row.column("jwks_uri")?.string,
            maxTokenLifetime: row.column("max_token_lifetime")?.integer.map(Int64.init),
            assertsUsers: row.column("asserts_users")?.integer == 1,
            previousSecretHash: row.column("previous_secret_hash")?.string.flatMap(Self.decodeHex),
            previousSecretValidUntil: row.column("previous_secret_valid_until")?.instant,
            createdAt: row.column("created_at")?.instant ?? .epoch)
    }

    static func encodeList(_ values: [String]) -> String {
        CanonicalJSON.string(.array(values.map(JSONValue.string)))
    }

    static func decodeList(_ text: String?) -> [String] {
        guard let text, case .array(let items)? = try? JSONParser().parse(text) else { return [] }
        return items.compactMap(\.stringValue)
    }

    static func optional(_ value: String?) -> SQLiteValue {
        value.map(SQLiteValue.text) ?? .null
    }

    static func optional(_ value: Int64?) -> SQLiteValue {
        value.map { .integer(Int($0)) } ?? .null
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = hexDigit(chars[i]), let lo = hexDigit(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
