extension ApprovalRequirement {
    /// Takes in another matching rule's requirement for the same approver, keeping the
    /// strictest of each term (POLICY.md §7): the largest `quorum`, the smallest `deny_quorum`
    /// (a denial is the safe outcome), the shortest expiry, and a reason if either wants one.
    /// Commutative and associative, so the rules' order does not matter.
    mutating func tighten(with other: ApprovalRequirement) {
        quorum = max(quorum, other.quorum)
        denyQuorum = min(denyQuorum, other.denyQuorum)
        expiresIn = min(expiresIn, other.expiresIn)
        reasonRequired = reasonRequired || other.reasonRequired
    }
}
