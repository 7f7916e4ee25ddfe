import CountersignCore

/// Requests waiting for people to approve them.
public protocol ApprovalRequestStore: Sendable {
    /// Stores a new pending request with the decision's audit events, in one transaction.
    func create(_ request: ApprovalRequest, audit: [AuditRecord]) async throws
    func approvalRequest(id: String) async throws -> ApprovalRequest?
    func approvalRequest(authReqIDHash: [UInt8]) async throws -> ApprovalRequest?
    /// Requests in a state (all when nil), newest first.
    func approvalRequests(state: ApprovalRequest.State?, limit: Int) async throws -> [ApprovalRequest]
}
