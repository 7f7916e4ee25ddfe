import CountersignCore

extension SQLiteStore: ApprovalChangeFeed {
    public func followApprovalChanges() async throws -> Int64 {
        writer.own.follow()
        return try await head()?.seq ?? 0
    }

    public func approvalChanges(after seq: Int64, limit: Int) async throws -> (changes: [ApprovalFeedEntry], next: Int64) {
        let userTypes = ApprovalFeedEntry.listenerEndingTypes
        let placeholders = userTypes.map { _ in "?" }.joined(separator: ", ")
        let (rows, head) = try await scan { connection in
            // Up to the head as it is now, so the next read starts past every event already scanned.
            let head = Int64(
                try connection.query("SELECT MAX(seq) AS head FROM audit_events").first?.column("head")?.integer
                    ?? Int(seq))
            let rows = try connection.query(
                """
                SELECT seq, type, json_extract(data, '$.request_id') AS request_id, json_extract(data, '$.name') AS user_name
                FROM audit_events
                WHERE seq > ? AND seq <= ? AND (type LIKE 'approval.%' OR type IN (\(placeholders))) ORDER BY seq LIMIT ?
                """,
                [.integer(Int(seq)), .integer(Int(head))] + userTypes.map { .text($0) }
                    + [.integer(limit)])
            return (rows, head)
        }
        let next = rows.count == limit ? Int64(rows.last?.column("seq")?.integer ?? Int(seq)) : max(head, seq)
        let seqs = rows.compactMap { $0.column("seq")?.integer.map(Int64.init) }
        let mine = writer.own.take(seqs, upTo: next)
        let changes = rows.compactMap { row -> ApprovalFeedEntry? in
            guard let seq = row.column("seq")?.integer.map(Int64.init), let type = row.column("type")?.string else { return nil }
            let requestID = row.column("request_id")?.string
            let userName = row.column("user_name")?.string
            guard requestID != nil || userName != nil else { return nil }
            return ApprovalFeedEntry(
                seq: seq, type: type, requestID: requestID, userName: userName, madeHere: mine.contains(seq))
        }
        return (changes, next)
    }
}
