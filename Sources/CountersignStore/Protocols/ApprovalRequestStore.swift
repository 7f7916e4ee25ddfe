import CountersignCore

/// Requests waiting for people to approve them, their votes and their outcome.
public protocol ApprovalRequestStore: Sendable {
    /// Stores a new request with the decision's audit events and the outbox rows `notifications`
    /// call for, in one transaction. The rows are claimed by `claim` when given (the caller
    /// delivers them at once), else left for any server process to take. Returns the rows.
    func create(
        _ request: ApprovalRequest, audit: [AuditRecord], notifications: [NotificationIntent], claim: OutboxClaim?
    ) async throws -> [OutboxDelivery]
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
    func expiredApprovalRequestIDs(now: Instant, limit: Int) async throws -> [String]
    /// Reads the request inside the store's write transaction, lets `change` (a pure state
    /// machine step) decide, and stores the changed request, its new votes, the returned audit
    /// records, outbox rows (claimed by `claim` when given) and sealed payloads atomically.
    /// Concurrent changes run one after another on fresh state. Throws what `change` throws,
    /// with nothing stored; `StoreError.notFound` when there is no such request. A `change`
    /// that leaves the request as it was stores nothing.
    func update(
        id: String, claim: OutboxClaim?, _ change: @escaping @Sendable (inout ApprovalRequest) throws -> ApprovalUpdate
    ) async throws -> (request: ApprovalRequest, deliveries: [OutboxDelivery])
}
