import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the server reads the time of day. Everything that stamps, expires or compares a time
/// asks one of these, so a test can drive time forward (`ManualClock`) instead of sleeping.
/// (Not Swift's `Clock`, which measures intervals on a monotonic clock: this one tells the
/// calendar time that tokens, audit events and expiries are written in.)
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Instant
}

/// The system's real-time clock (`CLOCK_REALTIME`).
public struct SystemClock: WallClock {
    /// The system clock.
    public init() {}

    /// The time `CLOCK_REALTIME` says now.
    public func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Instant(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }
}

/// A clock that stands still until it is set or advanced: for tests, and for replaying a
/// scripted story at a fixed time.
public final class ManualClock: WallClock {
    let current: Mutex<Instant>

    /// A clock reading `start`.
    public init(_ start: Instant) {
        current = Mutex(start)
    }

    /// The time the clock was last set or moved to.
    public func now() -> Instant { current.withLock { $0 } }

    /// Moves the clock by `duration` (backwards when negative, as a system clock can).
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }

    /// Sets the clock to `instant`.
    public func set(_ instant: Instant) {
        current.withLock { $0 = instant }
    }
}
