/// One approver's decision on an approval request, with the reason they gave.
public struct Vote: Sendable, Equatable {
    public enum Verdict: String, Sendable, Hashable {
        case approve, deny
    }

    /// The approver's user name.
    public var approver: String
    public var verdict: Verdict
    public var reason: String?
    public var at: Instant
    /// The positions, in the request's `approvals`, of the requirements this approver was
    /// eligible for when voting: an approval counts toward the quorum of each.
    public var requirements: [Int]

    public init(approver: String, verdict: Verdict, reason: String?, at: Instant, requirements: [Int] = []) {
        self.requirements = requirements
        self.approver = approver
        self.verdict = verdict
        self.reason = reason
        self.at = at
    }
}
