import CountersignCore
import Synchronization

/// Fans committed approval changes out to whoever listens in this process: the outbox
/// deliverer (CIBA ping and push, webhooks), server-sent event streams. `publish` never waits:
/// each observer takes the change and does its slow work in its own task, so a slow client
/// endpoint never holds up a vote.
public final class ApprovalEvents: Sendable {
    /// Told each committed change; does its slow work in a task of its own.
    public typealias Observer = @Sendable (ApprovalChange) -> Void

    /// Told the name of a user whose account or token changed.
    public typealias ListenerObserver = @Sendable (String) -> Void

    struct Observers {
        var next: UInt64 = 0
        var all: [UInt64: Observer] = [:]
        var listeners: [UInt64: ListenerObserver] = [:]
    }

    let observers = Mutex(Observers())

    /// A hub without observers.
    public init() {}

    /// Tells every observer of `change`, which is committed.
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

    /// Removes the observer or listener `id` names.
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
