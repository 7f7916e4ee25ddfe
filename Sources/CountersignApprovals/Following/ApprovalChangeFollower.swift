import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging
import Synchronization

/// Tells this process's listeners (server-sent events) about approval changes other processes
/// made on the same store: a `countersign request cancel`, another server's vote, redemption or
/// expiry sweep. It reads the audit chain's `approval.*` events past the last one it saw, skips
/// those this process committed (they were published at once), and publishes the others with
/// the request as it is when read. Their deliveries (ping, push, webhooks) are not its business:
/// they are in the outbox, which every server's worker works off. A user disabled or given a new
/// token (by the CLI, another process) is announced too, so their open streams re-check at once.
public final class ApprovalChangeFollower: Sendable {
    let feed: any ApprovalChangeFeed
    let approvals: any ApprovalRequestStore
    let events: ApprovalEvents
    let logger: Logger
    let position = Mutex<Int64?>(nil)

    public init(feed: any ApprovalChangeFeed, approvals: any ApprovalRequestStore, events: ApprovalEvents, logger: Logger) {
        self.feed = feed
        self.approvals = approvals
        self.events = events
        self.logger = logger
    }

    /// Follows from the chain's current end: listeners hear of changes from now on.
    public func start() async throws {
        let head = try await feed.followApprovalChanges()
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
            for (index, entry) in entries.enumerated() {
                // A deciding vote is `approval.voted` then the decision, in one transaction:
                // one change, as in the process that made it.
                let firstHalfOfADecision =
                    entry.type == "approval.voted" && index + 1 < entries.count
                    && entries[index + 1].requestID == entry.requestID && entries[index + 1].seq == entry.seq + 1
                    && entries[index + 1].type != "approval.voted"
                if let name = entry.userName, entry.requestID == nil {
                    events.publishListenerChange(name)
                } else if !entry.madeHere && !firstHalfOfADecision, let id = entry.requestID,
                    let request = try await approvals.approvalRequest(id: id),
                    let change = ApprovalChange(auditType: entry.type, request: request)
                {
                    events.publish(change)
                }
                published = entry.seq
            }
            published = next
        } catch {
            logger.warning("reading approval changes of other processes failed", metadata: ["error": "\(error)"])
        }
    }
}
