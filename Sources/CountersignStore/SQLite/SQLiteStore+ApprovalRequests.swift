import CountersignCore
import SQLiteNIO

extension SQLiteStore: ApprovalRequestStore {
    public func create(_ request: ApprovalRequest, audit: [AuditRecord]) async throws {
        let binds: [SQLiteData] = [
            .text(request.id), .text(request.authReqIDHash.hexString), .text(request.clientID),
            .text(request.state.rawValue), .text(CanonicalJSON.exactString(request.detailsJSON)),
            .integer(Int(request.createdAt)), .integer(Int(request.expiresAt)),
        ]
        try await writer.write(audit: audit) { connection in
            _ = try await connection.query(
                """
                INSERT INTO approval_requests (id, auth_req_hash, client_id, state, details, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, binds)
        }
    }

    public func approvalRequest(id: String) async throws -> ApprovalRequest? {
        try await read { connection in
            try await connection.query("SELECT * FROM approval_requests WHERE id = ?", [.text(id)]).first
                .flatMap(Self.decodeApprovalRequest)
        }
    }

    public func approvalRequest(authReqIDHash: [UInt8]) async throws -> ApprovalRequest? {
        try await read { connection in
            try await connection.query(
                "SELECT * FROM approval_requests WHERE auth_req_hash = ?", [.text(authReqIDHash.hexString)]
            ).first.flatMap(Self.decodeApprovalRequest)
        }
    }

    public func approvalRequests(state: ApprovalRequest.State?, limit: Int) async throws -> [ApprovalRequest] {
        try await read { connection in
            let rows =
                if let state {
                    try await connection.query(
                        "SELECT * FROM approval_requests WHERE state = ? ORDER BY created_at DESC, id LIMIT ?",
                        [.text(state.rawValue), .integer(limit)])
                } else {
                    try await connection.query(
                        "SELECT * FROM approval_requests ORDER BY created_at DESC, id LIMIT ?", [.integer(limit)])
                }
            return rows.compactMap(Self.decodeApprovalRequest)
        }
    }

    static func decodeApprovalRequest(_ row: SQLiteRow) -> ApprovalRequest? {
        guard let id = row.column("id")?.string, let hash = row.column("auth_req_hash")?.string.flatMap(decodeHex),
            let clientID = row.column("client_id")?.string,
            let state = row.column("state")?.string.flatMap(ApprovalRequest.State.init(rawValue:)),
            let created = row.column("created_at")?.integer, let expires = row.column("expires_at")?.integer,
            let details = row.column("details")?.string.flatMap({ try? JSONParser(maxDepth: 64).parse($0) })
        else { return nil }
        return ApprovalRequest(
            id: id, authReqIDHash: hash, clientID: clientID, state: state, createdAt: Int64(created),
            expiresAt: Int64(expires), details: details)
    }
}
