/// Runs `operation` for at most `limit`: its result, or nil when the limit passes first (or the
/// caller is cancelled). The loser is cancelled and never waited for, so the bound holds even
/// for an operation that ignores cancellation (a slow IdP never hangs a
/// token request).
func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
    let (first, finish) = AsyncStream<T?>.makeStream(bufferingPolicy: .bufferingOldest(1))
    let work = Task {
        finish.yield(await operation())
        finish.finish()
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        finish.yield(nil)
        finish.finish()
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    for await result in first { return result }
    return nil
}
