import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging
import Synchronization

/// Tells this process's listeners (server-sent events) about approval changes other processes
/// made on the same store: a `countersign request cancel`, another server's vote, redemption or
/// expiry sweep. It reads the approval change feed (a table written in each change's own
/// transaction) past the last row it saw, skips the rows this process wrote (they were
/// published at once), and publishes the others with the request as it is when read. Their
/// deliveries (ping, push, webhooks) are not its business: they are in the outbox, which every
/// server's worker works off. A user disabled or given a new token (by the CLI, another process)
/// is announced too, so their open streams re-check at once.
public final class ApprovalChangeFollower: Sendable {
    let feed: any ApprovalChangeFeed
    let approvals: any ApprovalRequestStore
    let events: ApprovalEvents
    let logger: Logger
    let clock: any WallClock
    let position = Mutex<Int64?>(nil)
    /// How long feed rows are kept: far longer than any process takes between two polls.
    static let keep: Duration = .seconds(3600)

    /// A follower of `feed` that publishes to `events`; `start()` begins it at the feed's end.
    public init(
        feed: any ApprovalChangeFeed, approvals: any ApprovalRequestStore, events: ApprovalEvents, logger: Logger,
        clock: any WallClock = SystemClock()
    ) {
        self.feed = feed
        self.approvals = approvals
        self.events = events
        self.logger = logger
        self.clock = clock
    }

    /// Deletes feed rows older than `keep`.
    public func purge() async {
        do { _ = try await feed.purgeApprovalChanges(before: clock.now() - Self.keep) } catch {
            logger.warning("purging the approval change feed failed", metadata: ["error": "\(error)"])
        }
    }

    /// Follows from the feed's current end: listeners hear of changes from now on.
    public func start() async throws {
        let head = try await feed.approvalChangesHead()
        position.withLock { $0 = head }
    }

    /// Reads what other processes changed since the last call and publishes it.
    public func poll() async {
        guard let after = position.withLock({ $0 }) else { return }
        // Moves past an entry only once it is published, so a failed read of a request is
        // tried again at the next poll rather than lost.
        var published = after
        defer { position.withLock { $0 = published } }
        do {
            let (entries, next) = try await feed.approvalChanges(after: after, limit: 500)
            for entry in entries {
                if let name = entry.userName {
                    events.publishListenerChange(name)
                } else if !entry.madeHere, let id = entry.requestID, let kind = entry.kind,
                    let request = try await approvals.approvalRequest(id: id)
                {
                    events.publish(ApprovalChange(kind: kind, request: request))
                }
                published = entry.seq
            }
            published = next
        } catch {
            logger.warning("reading approval changes of other processes failed", metadata: ["error": "\(error)"])
        }
    }
}
