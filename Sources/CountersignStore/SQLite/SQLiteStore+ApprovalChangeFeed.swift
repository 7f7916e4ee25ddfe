import CountersignCore
import NIOConcurrencyHelpers

extension SQLiteStore: ApprovalChangeFeed {
    /// The `kind` of a user change's row.
    static let userChangeKind = "user"

    /// The largest `seq` in `approval_changes`. On a reader connection on the caller's thread.
    public func approvalChangesHead() async throws -> Int64 {
        try read { connection in
            Int64(try connection.query("SELECT MAX(seq) AS head FROM approval_changes").first?.column("head")?.integer ?? 0)
        }
    }

    /// The next rows of `approval_changes`, each marked as this process's or not, read on the caller's thread.
    public func approvalChanges(after seq: Int64, limit: Int) async throws -> (changes: [ApprovalFeedEntry], next: Int64) {
        // Up to `limit` rows: a listing, so on a pool thread (`scan`), not the caller's.
        let rows = try await scan { connection in
            try connection.query(
                "SELECT seq, origin, kind, request_id, user_name FROM approval_changes WHERE seq > ? ORDER BY seq LIMIT ?",
                [.integer(Int(seq)), .integer(limit)])
        }
        let changes = rows.compactMap { row -> ApprovalFeedEntry? in
            guard let seq = row.column("seq")?.integer.map(Int64.init), let kind = row.column("kind")?.string else { return nil }
            return ApprovalFeedEntry(
                seq: seq, kind: ApprovalChange.Kind(rawValue: kind), requestID: row.column("request_id")?.string,
                userName: row.column("user_name")?.string, madeHere: row.column("origin")?.string == origin)
        }
        return (changes, changes.last?.seq ?? seq)
    }

    /// Deletes old rows of `approval_changes` in one writer transaction, without an audit event.
    public func purgeApprovalChanges(before time: Instant) async throws -> Int {
        let purged = NIOLockedValueBox(0)
        try await writer.write(audit: []) { connection in
            let rows = try connection.query("DELETE FROM approval_changes WHERE at < ? RETURNING seq", [.instant(time)])
            purged.withLockedValue { $0 = rows.count }
        }
        return purged.withLockedValue { $0 }
    }

    /// Writes the feed row of a change, inside its transaction.
    static func recordChange(
        _ kind: String, requestID: String?, userName: String?, origin: String, now: Instant, _ connection: SQLiteDatabase
    ) throws {
        _ = try connection.query(
            "INSERT INTO approval_changes (at, origin, kind, request_id, user_name) VALUES (?, ?, ?, ?, ?)",
            [.instant(now), .text(origin), .text(kind), optional(requestID), optional(userName)])
    }
}
