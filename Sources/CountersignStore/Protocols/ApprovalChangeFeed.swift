import CountersignCore

/// Approval changes read back from the audit chain, so that a server process learns of changes
/// other processes made on the same store (a CLI `request cancel`, another server's vote or
/// expiry sweep) and tells its own listeners; and the changes to a user that may end their right
/// to listen (`user.disabled`, `user.token_created`), so their open streams are checked at once.
public protocol ApprovalChangeFeed: Sendable {
    /// Starts remembering which approval events this store commits itself, and returns the
    /// sequence number of the chain's last event (0 for an empty chain): follow from there.
    func followApprovalChanges() async throws -> Int64
    /// The `approval.*` and listener-ending `user.*` events after `seq` (at most `limit`), and
    /// the sequence number to follow from next. Each entry says whether this store committed it (see `followApprovalChanges`).
    func approvalChanges(after seq: Int64, limit: Int) async throws -> (changes: [ApprovalFeedEntry], next: Int64)
}

/// One `approval.*` or `user.*` audit event as the feed reports it.
public struct ApprovalFeedEntry: Sendable, Equatable {
    public var seq: Int64
    /// `approval.requested`, `approval.voted`, `approval.approved`, …, `user.disabled`, `user.token_created`
    public var type: String
    /// The event's `request_id` (an approval event).
    public var requestID: String?
    /// The event's user `name` (a user event).
    public var userName: String?
    /// Whether this store (this process) committed the event.
    public var madeHere: Bool

    public init(seq: Int64, type: String, requestID: String?, userName: String? = nil, madeHere: Bool) {
        self.seq = seq
        self.type = type
        self.requestID = requestID
        self.userName = userName
        self.madeHere = madeHere
    }

    /// The `user.*` events after which a listener's token or account may no longer be good.
    public static let listenerEndingTypes = ["user.disabled", "user.token_created"]
}
