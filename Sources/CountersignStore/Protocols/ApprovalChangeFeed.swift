import CountersignCore

/// Approval changes read back from the audit chain, so that a server process learns of changes
/// other processes made on the same store (a CLI `request cancel`, another server's vote or
/// expiry sweep) and tells its own listeners.
public protocol ApprovalChangeFeed: Sendable {
    /// Starts remembering which approval events this store commits itself, and returns the
    /// sequence number of the chain's last event (0 for an empty chain): follow from there.
    func followApprovalChanges() async throws -> Int64
    /// The `approval.*` events after `seq` (at most `limit`), and the sequence number to follow
    /// from next. Each entry says whether this store committed it (see `followApprovalChanges`).
    func approvalChanges(after seq: Int64, limit: Int) async throws -> (changes: [ApprovalFeedEntry], next: Int64)
}

/// One `approval.*` audit event as the feed reports it.
public struct ApprovalFeedEntry: Sendable, Equatable {
    public var seq: Int64
    /// `approval.requested`, `approval.voted`, `approval.approved`, …
    public var type: String
    /// The event's `request_id`.
    public var requestID: String
    /// Whether this store (this process) committed the event.
    public var madeHere: Bool

    public init(seq: Int64, type: String, requestID: String, madeHere: Bool) {
        self.seq = seq
        self.type = type
        self.requestID = requestID
        self.madeHere = madeHere
    }
}
