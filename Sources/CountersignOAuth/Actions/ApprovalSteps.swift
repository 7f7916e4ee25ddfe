import CountersignCore

/// How the protocol side opens and redeems approval requests: each step is a pure lifecycle
/// event (`ApprovalRequest+Lifecycle`), and the approvals module's `ApprovalService` commits it
/// with every effect in one store transaction, then tells the listeners (docs/APPROVALS.md).
public protocol ApprovalSteps: Sendable {
    /// Stores a new request with `audit` and the notifications it calls for, then announces it.
    func open(_ request: ApprovalRequest, audit: [AuditRecord]) async throws

    /// Applies `step` to the request `id` as stored, inside the store's write transaction, and
    /// commits its transition with `alsoRecorded` and `payloads`; nil from `step` changes nothing.
    /// Throws what `step` throws (an `ApprovalRefusal`) with nothing stored.
    @discardableResult
    func apply(
        _ id: String, alsoRecorded: [AuditRecord], payloads: [OutboxPayload],
        _ step: @escaping @Sendable (inout ApprovalRequest) throws -> ApprovalRequest.Transition?
    ) async throws -> ApprovalRequest
}
