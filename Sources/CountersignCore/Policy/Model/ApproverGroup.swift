/// People who may approve: static members, members derived from a claim of the approver
/// (`{ claim: groups, value: finance-leads }`), or both.
public struct ApproverGroup: Sendable, Hashable {
    /// The group's name, as rules (`approval.group`) and webhooks name it.
    public let name: String
    /// User names that are members whatever their claims.
    public let members: [String]
    /// The approver's claim (such as `groups`) that must contain `claimValue`.
    public let claim: String?
    /// The value `claim` must contain (`finance-leads`).
    public let claimValue: String?
    /// Where the group is declared in the policy file.
    public let location: SourceLocation

    /// A group as the policy parser builds it.
    public init(name: String, members: [String] = [], claim: String? = nil, claimValue: String? = nil, location: SourceLocation = .start) {
        self.name = name
        self.members = members
        self.claim = claim
        self.claimValue = claimValue
        self.location = location
    }

    /// Whether an approver with this subject and these claims belongs to the group. Membership
    /// grants, so names and claim values are compared byte for byte, never folded or normalised
    /// (`PersonIdentity`: likeness may refuse, never grant).
    public func contains(sub: String, claims: [String: PolicyValue]) -> Bool {
        if members.contains(where: { $0.isExactly(sub) }) { return true }
        guard let claim, let claimValue, let value = claims[claim] else { return false }
        switch value {
        case .string(let s): return s.isExactly(claimValue)
        case .list(let items): return items.contains(.string(claimValue))
        default: return false
        }
    }
}
