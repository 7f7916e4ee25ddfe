import Synchronization

/// How a cache of the store treats a miss: it may re-read the store so that something added a
/// moment ago by another process is found at once, but at most once per `interval`, so a flood
/// of unknown names costs the store little.
final class MissReloadLimiter: Sendable {
    let interval: Duration
    let last = Mutex<ContinuousClock.Instant?>(nil)

    init(interval: Duration = .milliseconds(100)) {
        self.interval = interval
    }

    /// True when a reload may run now (and counts it).
    func mayReload() -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            guard last.map({ now - $0 > interval }) ?? true else { return false }
            last = now
            return true
        }
    }
}
