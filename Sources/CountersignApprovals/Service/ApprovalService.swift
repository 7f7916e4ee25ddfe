import CountersignCore
import CountersignOAuth
import CountersignStore
import Synchronization

/// Carries out the steps of approval requests (docs/APPROVALS.md), for the approver API, the
/// command line, the CIBA grant, the token endpoint and the sweeper alike: a step is a pure
/// `ApprovalRequest` lifecycle event; its `Transition` is committed with every effect in one
/// store transaction (the changed request, audit records, outbox rows), and only then are the
/// listeners of this process told (`ApprovalEvents`). Nothing else writes an approval request.
public struct ApprovalService: ApprovalSteps {
    let store: any ApprovalRequestStore
    let events: ApprovalEvents
    /// This process's claim on the outbox rows its changes write, when it delivers them itself.
    let claims: OutboxClaims
    let clock: any WallClock

    /// The service over `store`, publishing to `events`; `claims` says who delivers this process's outbox rows.
    public init(store: any ApprovalRequestStore, events: ApprovalEvents, claims: OutboxClaims = OutboxClaims(), clock: any WallClock) {
        self.store = store
        self.events = events
        self.claims = claims
        self.clock = clock
    }

    /// Stores a new request with `audit` (its decision and `approval.requested`) and the outbox
    /// rows it calls for, then announces it.
    public func open(_ request: ApprovalRequest, audit: [AuditRecord]) async throws {
        let transition = request.opening(audit: audit)
        let deliveries = try await store.create(
            request, audit: transition.audit, notifications: transition.notifications, claim: claims.claim(now: clock.now()))
        events.publish(ApprovalChange(kind: transition.change, request: request, deliveries: deliveries))
    }

    /// Applies `step` to the request `id` as the store holds it inside its write transaction,
    /// commits the transition with `alsoRecorded` and `payloads`, then announces it. A step that
    /// returns nil changes nothing and announces nothing. Throws what `step` throws (an
    /// `ApprovalRefusal`) with nothing stored; `StoreError.notFound` for an unknown id.
    @discardableResult
    public func apply(
        _ id: String, alsoRecorded: [AuditRecord] = [], payloads: [OutboxPayload] = [],
        _ step: @escaping @Sendable (inout ApprovalRequest) throws -> ApprovalRequest.Transition?
    ) async throws -> ApprovalRequest {
        let made = Mutex<ApprovalRequest.Transition?>(nil)
        let (updated, deliveries) = try await store.update(id: id, claim: claims.claim(now: clock.now())) { request in
            guard let transition = try step(&request) else { return ApprovalUpdate(audit: []) }
            made.withLock { $0 = transition }
            return ApprovalUpdate(transition, alsoRecorded: alsoRecorded, payloads: payloads)
        }
        if let transition = made.withLock({ $0 }) {
            events.publish(ApprovalChange(kind: transition.change, request: updated, deliveries: deliveries))
        }
        return updated
    }
}
