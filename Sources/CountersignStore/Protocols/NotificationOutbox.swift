import CountersignCore

/// The deliveries approval changes call for (`OutboxDelivery`), written with the changes
/// (`ApprovalRequestStore`) and worked off by every server process: claimed one process at a
/// time, attempted, then finished or put back for a later attempt.
public protocol NotificationOutbox: Sendable {
    /// Unfinished deliveries due at `now` whose claim is absent or has lapsed, claimed for
    /// `claim` by one compare-and-set update: of concurrent claimants (in this process or
    /// another on the same store) each row goes to exactly one. At most `limit`, earliest first.
    func claimDueDeliveries(now: Instant, claim: OutboxClaim, limit: Int) async throws -> [OutboxDelivery]
    /// Ends a delivery (delivered, refused, given up) and drops its sealed payload; false when
    /// `claimant` no longer holds it (its claim lapsed and another process took it).
    func finishDelivery(id: String, claimant: String, outcome: String, now: Instant) async throws -> Bool
    /// Counts a failed attempt, sets when the next one is due and releases the claim, so any
    /// server process may make it; false when `claimant` no longer holds it.
    func rescheduleDelivery(id: String, claimant: String, attempts: Int, nextAttemptAt: Instant) async throws -> Bool
    /// The deliveries about one request, finished or not, oldest first (for operators and tests).
    func deliveries(requestID: String) async throws -> [OutboxDelivery]
    /// Deletes deliveries finished before `finishedBefore` and drops sealed payloads whose token
    /// has expired at `now`; returns how many rows went.
    func purgeDeliveries(finishedBefore: Instant, now: Instant) async throws -> Int
}
