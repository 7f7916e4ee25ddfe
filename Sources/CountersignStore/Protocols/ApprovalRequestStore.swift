import CountersignCore

/// Requests waiting for people to approve them, their votes and their outcome.
public protocol ApprovalRequestStore: Sendable {
    /// Stores a new pending request with the decision's audit events, in one transaction.
    func create(_ request: ApprovalRequest, audit: [AuditRecord]) async throws
    /// The request with this public id, with its votes; nil when there is none.
    func approvalRequest(id: String) async throws -> ApprovalRequest?
    /// The request a client polls with this `auth_req_id` (by its SHA-256).
    func approvalRequest(authReqIDHash: [UInt8]) async throws -> ApprovalRequest?
    /// Requests in `state` (every state when nil), newest first (by creation time, then id),
    /// starting after `position` (the oldest of the previous page) when given: keyset paging.
    func approvalRequests(
        state: ApprovalRequest.State?, after position: ApprovalRequest.ListPosition?, limit: Int
    ) async throws -> [ApprovalRequest]
    /// Ids of requests still pending or approved (unredeemed) whose expiry has passed: the
    /// sweeper writes their expiry down.
    func expiredApprovalRequestIDs(now: Int64, limit: Int) async throws -> [String]
    /// Reads the request inside the store's write transaction, lets `change` (a pure state
    /// machine step) decide, and stores the changed request, its new votes and the returned
    /// audit records atomically. Concurrent changes run one after another on fresh state.
    /// Throws what `change` throws, with nothing stored; `StoreError.notFound` when there is
    /// no such request.
    func update(
        id: String, _ change: @escaping @Sendable (inout ApprovalRequest) throws -> [AuditRecord]
    ) async throws -> ApprovalRequest
}
