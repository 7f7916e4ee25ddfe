/// One approver's decision on an approval request, with the reason they gave.
public struct Vote: Sendable, Equatable {
    /// Whether the vote approves or denies.
    public enum Verdict: String, Sendable, Hashable {
        case approve, deny
    }

    /// The approver's user name.
    public var approver: String
    /// Approve or deny.
    public var verdict: Verdict
    /// The approver's reason, required when the rule says so (`reason_required`).
    public var reason: String?
    /// When the vote was cast.
    public var at: Instant
    /// The positions, in the request's `approvals`, of the requirements this approver was
    /// eligible for when voting: an approval counts toward the quorum of each.
    public var requirements: [Int]

    /// A vote as it is cast or read back from the store.
    public init(approver: String, verdict: Verdict, reason: String?, at: Instant, requirements: [Int] = []) {
        self.requirements = requirements
        self.approver = approver
        self.verdict = verdict
        self.reason = reason
        self.at = at
    }
}
