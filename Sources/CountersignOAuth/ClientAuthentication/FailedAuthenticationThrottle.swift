import CountersignCore
import CountersignStore
import Synchronization

/// Slows secret guessing (RFC 6749 §10.10): each peer address may fail authentication (a
/// client's, or an approver's personal token: one counter for both) `limit` times per `window`; beyond that every attempt from it, right or
/// wrong, is answered 429 until the window passes. Keyed by address, not by client id, so an
/// attacker elsewhere cannot lock a client out; clients sharing the attacker's address (one NAT
/// or proxy) do wait with it. Bounded memory: at most `maxTracked` addresses.
///
/// The same counter, keyed by client, slows token scanning at introspection (RFC 7662 §4):
/// see `IntrospectionEndpoint.scanning`.
public final class FailedAuthenticationThrottle: Sendable {
    struct Entry {
        var failures: Int
        var windowStart: ContinuousClock.Instant
    }

    let limit: Int
    let window: Duration
    let maxTracked: Int
    let entries = Mutex<[String: Entry]>([:])
    /// Where a burst (the failure that reaches the limit) is recorded, if anywhere.
    let audit: (any AuditLog)?

    /// A throttle of `limit` failures per `window` per key, tracking at most `maxTracked` keys; bursts go to `audit`.
    public init(limit: Int = 100, window: Duration = .seconds(60), maxTracked: Int = 100_000, audit: (any AuditLog)? = nil) {
        self.limit = limit
        self.window = window
        self.maxTracked = maxTracked
        self.audit = audit
    }

    /// Records a failed authentication of `kind` (`client` or `approver`) from `address`; the
    /// failure that reaches the limit is audited once, as `authentication.throttled`, whichever
    /// kind of failure it was (the count is shared).
    public func recordFailure(_ address: String?, kind: String) async {
        guard recordFailure(address), let audit else { return }
        let record = AuditRecord(
            type: "authentication.throttled", actor: "server",
            data: [
                "ip": .optional(address), "failures": .number(JSONNumber(limit)),
                "window_seconds": .number(JSONNumber(window.wholeSeconds)), "reached_by": .string(kind),
            ])
        // The refusal stands either way; a store that cannot take the event is logged by its caller's answer.
        try? await audit.append([record])
    }

    /// Seconds until this address may try again, or nil when it may try now.
    public func retryAfter(_ address: String?, now: ContinuousClock.Instant = .now) -> Int? {
        guard let address else { return nil }
        return entries.withLock { entries -> Int? in
            guard let entry = entries[address], entry.failures >= limit else { return nil }
            let elapsed = now - entry.windowStart
            if elapsed >= window {
                entries[address] = nil
                return nil
            }
            // Rounded up: a client that waits exactly this long finds the window passed.
            let left = window - elapsed
            return max(1, Int(left.wholeSeconds) + (left > .seconds(left.wholeSeconds) ? 1 : 0))
        }
    }

    /// Records one failed authentication from this address; true when it is the failure that
    /// reaches the limit (a burst worth recording once).
    @discardableResult
    func recordFailure(_ address: String?, now: ContinuousClock.Instant = .now) -> Bool {
        guard let address else { return false }
        return entries.withLock { entries in
            if var entry = entries[address], now - entry.windowStart < window {
                entry.failures += 1
                entries[address] = entry
                return entry.failures == limit
            }
            if entries.count >= maxTracked {
                entries = entries.filter { now - $0.value.windowStart < window }
                if entries.count >= maxTracked { entries.removeAll() }
            }
            entries[address] = Entry(failures: 1, windowStart: now)
            return limit == 1
        }
    }
}
