import CountersignCore
import NIOConcurrencyHelpers

extension SQLiteStore: ApprovalRequestStore {
    /// Inserts the request, its events, its outbox rows and its feed row in one writer transaction.
    public func create(
        _ request: ApprovalRequest, audit: [AuditRecord], notifications: [NotificationIntent], claim: OutboxClaim?
    ) async throws -> [OutboxDelivery] {
        let binds: [SQLiteValue] = [
            .text(request.id), .text(request.authReqIDHash.hexString), .text(request.clientID),
            .text(request.state.rawValue), .text(CanonicalJSON.exactString(request.detailsJSON)),
            .instant(request.createdAt), .instant(request.expiresAt), .instant(request.decidedAt),
        ]
        let created = NIOLockedValueBox<[OutboxDelivery]>([])
        let now = clock.now()
        try await writer.write(audit: audit) { connection in
            _ = try connection.query(
                """
                INSERT INTO approval_requests (id, auth_req_hash, client_id, state, details, created_at, expires_at, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, binds)
            let rows = try Self.insertOutbox(
                notifications, requestID: request.id, claim: claim, now: now, connection)
            try Self.recordChange(
                ApprovalChange.Kind.requested.rawValue, requestID: request.id, userName: nil, origin: self.origin, now: now,
                connection)
            created.withLockedValue { $0 = rows }
        }
        return created.withLockedValue { $0 }
    }

    /// The request with this id and its votes. On a reader connection on the caller's thread.
    public func approvalRequest(id: String) async throws -> ApprovalRequest? {
        try read { connection in try Self.loadRequest(where: "id = ?", .text(id), connection) }
    }

    /// The request polled with this `auth_req_id` hash. On a reader connection on the caller's thread.
    public func approvalRequest(authReqIDHash: [UInt8]) async throws -> ApprovalRequest? {
        try read { connection in
            try Self.loadRequest(where: "auth_req_hash = ?", .text(authReqIDHash.hexString), connection)
        }
    }

    /// One page, newest first, by keyset on `(created_at, id)` (migration 5's index), read on the caller's thread.
    public func approvalRequests(
        state: ApprovalRequest.State?, after position: ApprovalRequest.ListPosition?, limit: Int
    ) async throws -> [ApprovalRequest] {
        var conditions: [String] = []
        var binds: [SQLiteValue] = []
        if let state {
            conditions.append("state = ?")
            binds.append(.text(state.rawValue))
        }
        if let position {
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            binds += [.instant(position.createdAt), .instant(position.createdAt), .text(position.id)]
        }
        binds.append(.integer(limit))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await scan { [binds] connection in
            let rows = try connection.query(
                "SELECT * FROM approval_requests \(filter) ORDER BY created_at DESC, id DESC LIMIT ?", binds, keep: false)
            // The page's votes in one query, not one per request: a listing may page through
            // thousands of requests to fill an approver's inbox.
            let votes = try Self.votes(of: rows.compactMap { $0.column("id")?.string }, connection)
            return try rows.map { row in try Self.decodeRequest(row, votes: votes[row.column("id")?.string ?? ""] ?? []) }
        }
    }

    /// Ids of unsettled requests past their expiry. On a reader connection on the caller's thread.
    public func expiredApprovalRequestIDs(now: Instant, limit: Int) async throws -> [String] {
        try read { connection in
            try connection.query(
                """
                SELECT id FROM approval_requests WHERE state IN ('pending', 'approved') AND expires_at <= ?
                ORDER BY expires_at LIMIT ?
                """, [.instant(now), .integer(limit)]
            ).compactMap { $0.column("id")?.string }
        }
    }

    /// Reads, changes and writes the request inside one writer transaction (`ApprovalRequestStore.update`).
    public func update(
        id: String, claim: OutboxClaim?, _ change: @escaping @Sendable (inout ApprovalRequest) throws -> ApprovalUpdate
    ) async throws -> (request: ApprovalRequest, deliveries: [OutboxDelivery]) {
        let result = NIOLockedValueBox<(ApprovalRequest, [OutboxDelivery])?>(nil)
        let now = clock.now()
        try await writer.write(deciding: { connection in
            guard var request = try Self.loadRequest(where: "id = ?", .text(id), connection) else {
                throw StoreError.notFound("no approval request \(id)")
            }
            let before = request
            let step = try change(&request)
            result.withLockedValue { $0 = (request, []) }
            if request == before { return step.audit }
            let changed = try connection.query(
                """
                UPDATE approval_requests SET state = ?, decided_at = ?, redeemed_at = ?, token_id = ?
                WHERE id = ? AND state = ? RETURNING id
                """,
                [
                    .text(request.state.rawValue), .instant(request.decidedAt), .instant(request.redeemedAt),
                    Self.optional(request.tokenID), .text(id), .text(before.state.rawValue),
                ])
            guard !changed.isEmpty else { throw StoreError.conflict("approval request \(id) changed meanwhile") }
            // Votes are only ever added; the primary key (request, approver) refuses a second.
            for vote in request.votes.dropFirst(before.votes.count) {
                _ = try connection.query(
                    "INSERT INTO approval_votes (request_id, approver, verdict, reason, requirements, at) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        .text(id), .text(vote.approver), .text(vote.verdict.rawValue), Self.optional(vote.reason),
                        .text(Self.encodeList(vote.requirements.map(String.init))), .instant(vote.at),
                    ])
            }
            let deliveries = try Self.insertOutbox(step.notifications, requestID: id, claim: claim, now: now, connection)
            if let kind = step.change {
                try Self.recordChange(kind.rawValue, requestID: id, userName: nil, origin: self.origin, now: now, connection)
            }
            for payload in step.payloads {
                try Self.storePayload(payload, connection)
            }
            result.withLockedValue { $0 = (request, deliveries) }
            return step.audit
        })
        guard let (request, deliveries) = result.withLockedValue({ $0 }) else {
            throw StoreError.notFound("no approval request \(id)")
        }
        return (request, deliveries)
    }

    static func loadRequest(
        where condition: String, _ bind: SQLiteValue, _ connection: SQLiteDatabase
    ) throws
        -> ApprovalRequest?
    {
        guard let row = try connection.query("SELECT * FROM approval_requests WHERE \(condition)", [bind]).first
        else { return nil }
        return try decodeRequest(row, connection)
    }

    static func decodeRequest(_ row: SQLiteRow, _ connection: SQLiteDatabase) throws -> ApprovalRequest {
        let id = row.column("id")?.string ?? ""
        return try decodeRequest(row, votes: try votes(of: [id], connection)[id] ?? [])
    }

    /// The votes of these requests, by request id, each list in the order they were cast.
    static func votes(of ids: [String], _ connection: SQLiteDatabase) throws -> [String: [Vote]] {
        guard !ids.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try connection.query(
            "SELECT * FROM approval_votes WHERE request_id IN (\(placeholders)) ORDER BY at, rowid", ids.map { .text($0) },
            keep: false)
        var votes: [String: [Vote]] = [:]
        for vote in rows {
            votes[vote.column("request_id")?.string ?? "", default: []].append(
                Vote(
                    approver: vote.column("approver")?.string ?? "",
                    verdict: Vote.Verdict(rawValue: vote.column("verdict")?.string ?? "") ?? .deny,
                    reason: vote.column("reason")?.string, at: vote.column("at")?.instant ?? .epoch,
                    requirements: decodeList(vote.column("requirements")?.string).compactMap { Int($0) }))
        }
        return votes
    }

    static func decodeRequest(_ row: SQLiteRow, votes: [Vote]) throws -> ApprovalRequest {
        let id = row.column("id")?.string ?? ""
        guard let state = ApprovalRequest.State(rawValue: row.column("state")?.string ?? ""),
            let detailsText = row.column("details")?.string, let details = try? JSONParser().parse(detailsText),
            let request = ApprovalRequest(
                id: id, authReqIDHash: row.column("auth_req_hash")?.string.flatMap(decodeHex) ?? [],
                clientID: row.column("client_id")?.string ?? "", state: state, details: details,
                createdAt: row.column("created_at")?.instant ?? .epoch,
                expiresAt: row.column("expires_at")?.instant ?? .epoch, votes: votes,
                decidedAt: row.column("decided_at")?.instant,
                redeemedAt: row.column("redeemed_at")?.instant, tokenID: row.column("token_id")?.string)
        else { throw StoreError.corrupt("approval request \(id) cannot be read") }
        return request
    }
}
