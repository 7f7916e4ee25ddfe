import CountersignCore
import Synchronization

/// A committed change of an approval request, as the notifiers see it.
public struct ApprovalChange: Sendable {
    public enum Kind: String, Sendable {
        /// A new request (pending, or approved at once for a backchannel request).
        case requested
        /// A vote that did not decide it.
        case voted
        /// Approved, denied, expired or cancelled.
        case decided
        /// Its token was issued.
        case redeemed
    }

    public var kind: Kind
    public var request: ApprovalRequest
    /// The outbox rows the change wrote and this process claimed: its deliverer makes their
    /// first attempt at once (none for a change another process made).
    public var deliveries: [OutboxDelivery]

    public init(kind: Kind, request: ApprovalRequest, deliveries: [OutboxDelivery] = []) {
        self.kind = kind
        self.request = request
        self.deliveries = deliveries
    }

    /// The change an `approval.*` audit event records, or nil for one that changes nothing
    /// (`approval.refused`).
    public init?(auditType: String, request: ApprovalRequest) {
        let kind: Kind
        switch auditType {
        case "approval.requested": kind = .requested
        case "approval.voted": kind = .voted
        case "approval.approved", "approval.denied", "approval.expired", "approval.cancelled": kind = .decided
        case "approval.redeemed": kind = .redeemed
        default: return nil
        }
        self.init(kind: kind, request: request)
    }

    /// The name of the server-sent event and webhook event.
    public var eventName: String { "approval.\(kind.rawValue)" }
}

extension ApprovalChange.Kind {
    /// The kind an event name (`ApprovalChange.eventName`) stands for.
    public init?(eventName: String) {
        guard eventName.hasPrefix("approval.") else { return nil }
        self.init(rawValue: String(eventName.dropFirst("approval.".count)))
    }
}

/// Fans committed approval changes out to whoever listens in this process: the outbox
/// deliverer (CIBA ping and push, webhooks), server-sent event streams. `publish` never waits:
/// each observer takes the change and does its slow work in its own task, so a slow client
/// endpoint never holds up a vote.
public final class ApprovalEvents: Sendable {
    public typealias Observer = @Sendable (ApprovalChange) -> Void

    /// Told the name of a user whose account or token changed.
    public typealias ListenerObserver = @Sendable (String) -> Void

    struct Observers {
        var next: UInt64 = 0
        var all: [UInt64: Observer] = [:]
        var listeners: [UInt64: ListenerObserver] = [:]
    }

    let observers = Mutex(Observers())
    /// Who delivers this process's outbox rows at once, and for how long a claim holds.
    let deliverer = Mutex<(claimant: String, lease: Duration)?>(nil)

    public init() {}

    /// Declares that this process delivers the outbox rows its changes write (`claimant`
    /// names the process; `lease` is how long its claim keeps other processes off a row).
    public func deliverClaimedRows(claimant: String, lease: Duration) {
        deliverer.withLock { $0 = (claimant, lease) }
    }

    /// The claim a change made at `now` puts on its outbox rows: this process's when it
    /// delivers them, else none (any server process takes them).
    public func claim(now: Instant) -> OutboxClaim? {
        deliverer.withLock { $0.map { OutboxClaim(claimant: OutboxClaim.fresh($0.claimant), until: now + $0.lease) } }
    }

    public func publish(_ change: ApprovalChange) {
        let current = observers.withLock { Array($0.all.values) }
        for observer in current { observer(change) }
    }

    /// Adds an observer; the returned number removes it.
    @discardableResult
    public func observe(_ observer: @escaping Observer) -> UInt64 {
        register { $0.all[$1] = observer }
    }

    /// Numbers an observer and files it with `add`; the number removes it.
    func register(_ add: (inout Observers, UInt64) -> Void) -> UInt64 {
        observers.withLock { table in
            table.next += 1
            add(&table, table.next)
            return table.next
        }
    }

    public func remove(_ id: UInt64) {
        observers.withLock {
            _ = $0.all.removeValue(forKey: id)
            _ = $0.listeners.removeValue(forKey: id)
        }
    }

    /// Adds an observer of user changes (a user disabled, or given a new personal token); the
    /// returned number removes it, as `remove`.
    public func observeListenerChanges(_ observer: @escaping ListenerObserver) -> UInt64 {
        register { $0.listeners[$1] = observer }
    }

    /// Tells the listener observers that user `name` changed: their streams check again
    /// whether the user may still listen.
    public func publishListenerChange(_ name: String) {
        let current = observers.withLock { Array($0.listeners.values) }
        for observer in current { observer(name) }
    }
}
