import CountersignCore

extension SQLiteStore: TrustedIssuerStore {
    /// Every trusted issuer by URL. On a reader connection on the caller's thread.
    public func trustedIssuers() async throws -> [TrustedIssuer] {
        try read { connection in
            try connection.query("SELECT * FROM trusted_issuers ORDER BY issuer").map(Self.decodeIssuer)
        }
    }

    /// Inserts the issuer. One writer transaction with its audit event.
    public func add(_ issuer: TrustedIssuer, audit: AuditRecord) async throws {
        let binds: [SQLiteValue] = [
            .text(issuer.issuer), .text(issuer.audience), Self.optional(issuer.jwksURI),
            .text(Self.encodeList(issuer.claimMappings.map(\.description))), .text(Self.encodeList(issuer.algorithms)),
            .instant(issuer.createdAt),
        ]
        do {
            try await writer.write(audit: [audit]) { connection in
                _ = try connection.query(
                    "INSERT INTO trusted_issuers (issuer, audience, jwks_uri, claims, algorithms, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    binds)
            }
        } catch StoreError.conflict {
            throw StoreError.conflict("the issuer \(issuer.issuer) is already trusted")
        }
    }

    /// Deletes the issuer. One writer transaction with its audit event.
    public func deleteIssuer(_ issuer: String, audit: AuditRecord) async throws -> Bool {
        do {
            try await writer.write(audit: [audit]) { connection in
                let rows = try connection.query(
                    "DELETE FROM trusted_issuers WHERE issuer = ? RETURNING issuer", [.text(issuer)])
                if rows.isEmpty { throw NotFound() }
            }
            return true
        } catch is NotFound {
            return false
        }
    }

    static func decodeIssuer(_ row: SQLiteRow) -> TrustedIssuer {
        TrustedIssuer(
            issuer: row.column("issuer")?.string ?? "",
            audience: row.column("audience")?.string ?? "",
            jwksURI: row.column("jwks_uri")?.string,
            claimMappings: decodeList(row.column("claims")?.string).compactMap(ClaimMapping.init(text:)),
            algorithms: decodeList(row.column("algorithms")?.string),
            createdAt: row.column("created_at")?.instant ?? .epoch)
    }
}
