import CountersignCore

extension SQLiteStore: AuditLog {
    /// Appends the records through the writer, which seals them onto the chain.
    public func append(_ records: [AuditRecord]) async throws {
        try await writer.write(audit: records, nil)
    }

    /// A page of `audit_events` after `seq`, on a pool thread.
    public func events(after seq: Int64, limit: Int) async throws -> [AuditEvent] {
        try await scan { connection in
            return try connection.query(
                "SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
                [.integer(Int(seq)), .integer(limit)]
            ).map(Self.decodeEvent)
        }
    }

    /// The last row of `audit_events`. On a reader connection on the caller's thread.
    public func head() async throws -> (seq: Int64, hash: String)? {
        try read { connection in
            guard let row = try connection.query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").first,
                let seq = row.column("seq")?.integer, let hash = row.column("hash")?.string
            else { return nil }
            return (Int64(seq), hash)
        }
    }

    /// A row as stored; data that no longer parses yields an event whose hash cannot match.
    static func decodeEvent(_ row: SQLiteRow) -> AuditEvent {
        let dataText = row.column("data")?.string ?? ""
        let data = (try? JSONParser(maxDepth: 64).parse(dataText))?.objectValue ?? ["unparseable": .string(dataText)]
        return AuditEvent(
            seq: Int64(row.column("seq")?.integer ?? 0),
            time: row.column("time")?.instant ?? .epoch,
            type: row.column("type")?.string ?? "",
            actor: row.column("actor")?.string ?? "",
            data: data,
            previousHash: row.column("prev_hash")?.string ?? "",
            hash: row.column("hash")?.string ?? "")
    }
}
