import CountersignCore

/// The approval change feed: a row for every committed approval change and every change to a
/// user that may end their right to listen (disabled, or given a new personal token), written in
/// the change's own transaction. A server process reads it to tell its listeners of changes
/// other processes made on the same store (a CLI `request cancel`, another server's vote,
/// redemption or expiry sweep).
public protocol ApprovalChangeFeed: Sendable {
    /// The position of the newest row (0 when there is none): follow from there.
    func approvalChangesHead() async throws -> Int64
    /// The rows after `seq` (at most `limit`), and the position to follow from next. Each says
    /// whether this store (this process) wrote it.
    func approvalChanges(after seq: Int64, limit: Int) async throws -> (changes: [ApprovalFeedEntry], next: Int64)
    /// Deletes the rows written before `time`; returns how many.
    func purgeApprovalChanges(before time: Instant) async throws -> Int
}

/// One row of the approval change feed.
public struct ApprovalFeedEntry: Sendable, Equatable {
    /// The row's position in the feed, increasing.
    public var seq: Int64
    /// What happened to the request; nil for a user change.
    public var kind: ApprovalChange.Kind?
    /// The request that changed.
    public var requestID: String?
    /// The user who was disabled or given a new token.
    public var userName: String?
    /// Whether this store (this process) wrote the row.
    public var madeHere: Bool

    /// A feed row as the store reads it.
    public init(seq: Int64, kind: ApprovalChange.Kind?, requestID: String?, userName: String? = nil, madeHere: Bool) {
        self.seq = seq
        self.kind = kind
        self.requestID = requestID
        self.userName = userName
        self.madeHere = madeHere
    }
}
