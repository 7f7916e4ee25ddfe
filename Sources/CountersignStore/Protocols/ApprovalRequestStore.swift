import CountersignCore

/// Requests waiting for people to approve them. Reading them back, votes and transitions come
/// with the approval capability.
public protocol ApprovalRequestStore: Sendable {
    /// Stores a new pending request with the decision's audit events, in one transaction.
    func create(_ request: ApprovalRequest, audit: [AuditRecord]) async throws
}
