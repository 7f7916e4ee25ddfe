import CountersignOAuth
import ServiceLifecycle

/// Runs the `ApprovalChangeFollower` four times a second, so that a change another process made
/// on the store (a CLI `request cancel`, another server's vote or expiry) reaches this process's
/// server-sent event listeners within about a quarter of a second.
struct ApprovalFollowing: Service {
    let follower: ApprovalChangeFollower
    static let interval: Duration = .milliseconds(250)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var tick = 0
            while !Task.isCancelled {
                do { try await Task.sleep(for: Self.interval) } catch { return }
                await follower.poll()
                tick += 1
                if tick % 240 == 0 { await follower.purge() }  // once a minute
            }
        }
    }
}
