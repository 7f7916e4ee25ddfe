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
}
