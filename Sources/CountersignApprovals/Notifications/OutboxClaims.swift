import CountersignCore
import Synchronization

/// Who delivers the outbox rows this process's changes write (the notification outbox worker,
/// when the server runs one), and for how long its claim keeps other processes off a row.
/// Without one, rows are written unclaimed and any server process takes them.
public final class OutboxClaims: Sendable {
    let deliverer = Mutex<(claimant: String, lease: Duration)?>(nil)

    /// No deliverer yet: rows are written unclaimed until one declares itself.
    public init() {}

    /// Declares that this process delivers the rows its changes write at once.
    public func deliverHere(claimant: String, lease: Duration) {
        deliverer.withLock { $0 = (claimant, lease) }
    }

    /// The claim a change made at `now` puts on its rows, or nil.
    public func claim(now: Instant) -> OutboxClaim? {
        deliverer.withLock { $0.map { OutboxClaim(claimant: OutboxClaim.fresh($0.claimant), until: now + $0.lease) } }
    }
}
