/// One rule of a policy: for these actions, when the condition holds, this effect with these
/// requirements. Rules combine order-independently (see `PolicyEvaluator`). A class: a decision
/// reads a few fields of each matching rule, and a reference is cheaper to hand out than a copy.
public final class Rule: Sendable {
    /// The rule's name, unique in the file; explanations and audit events name it.
    public let name: String
    /// The actions the rule applies to.
    public let actions: [String]
    /// The rule's `when`; `.always` without one.
    public let condition: Condition
    /// What the rule does when it matches.
    public let effect: Effect
    /// The token's terms, for a rule that issues one.
    public let grant: GrantTerms?
    /// Who must approve, for an `approve` rule.
    public let approval: ApprovalRequirement?
    /// The authentication the subject must have, for a `step_up` rule.
    public let stepUp: StepUpRequirement?
    /// Shown to the requester when this rule denies.
    public let reason: String?
    /// Where the rule is in the policy file.
    public let location: SourceLocation
    /// `[approval]`, built once: the common decision with one approver shares it instead of
    /// allocating its own list.
    let approvalList: [ApprovalRequirement]

    /// A rule as the policy parser builds it.
    public init(
        name: String, actions: [String], condition: Condition = .always, effect: Effect, grant: GrantTerms? = nil,
        approval: ApprovalRequirement? = nil, stepUp: StepUpRequirement? = nil, reason: String? = nil,
        location: SourceLocation = .start
    ) {
        self.name = name
        self.actions = actions
        self.condition = condition
        self.effect = effect
        self.grant = grant
        self.approval = approval
        self.stepUp = stepUp
        self.reason = reason
        self.location = location
        self.approvalList = approval.map { [$0] } ?? []
    }
}

/// What a matching rule asks for.
public enum Effect: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case allow, deny, approve
    case stepUp = "step_up"
    /// The effect as the policy file writes it.
    public var description: String { rawValue }
}

/// The terms of an issued grant: lifetime, single use, reuse of the decision.
public struct GrantTerms: Sendable, Hashable {
    /// Token lifetime in seconds; nil: the server's default.
    public var ttl: Int?
    /// The token is spent by the first introspection of a resource server of its audience.
    public var oneTime: Bool
    /// Seconds an identical request is answered from this decision; nil: never.
    public var reuse: Int?

    /// The longest TTL a rule may give: the longest access token the server issues (1 h).
    public static let maxTTL = 3600
    /// The lifetime of a token whose rule states no TTL (the server's standard, 5 min); when
    /// several rules match, a rule without a TTL takes part in "shortest TTL" with this value.
    public static let defaultTTL = 300

    /// The lifetime in seconds of a token issued on these terms.
    public var tokenLifetime: Int64 { Int64(min(ttl ?? Self.defaultTTL, Self.maxTTL)) }

    /// Terms as a rule states them; each omitted term takes its default.
    public init(ttl: Int? = nil, oneTime: Bool = false, reuse: Int? = nil) {
        self.ttl = ttl
        self.oneTime = oneTime
        self.reuse = reuse
    }
}

/// Who must approve before a token is issued.
public struct ApprovalRequirement: Sendable, Hashable {
    /// Who is asked: a group's members, or the subject itself.
    public enum Approver: Sendable, Hashable, CustomStringConvertible {
        /// Members of a named group.
        case group(String)
        /// The subject's own confirmation (the owner of the account, on another device).
        case subject
        /// The approver as messages name it.
        public var description: String {
            switch self {
            case .group(let g): "group \(g)"
            case .subject: "the subject"
            }
        }
    }

    /// Who must approve.
    public var approver: Approver
    /// Distinct approvals needed (never counting the requester).
    public var quorum: Int
    /// Distinct eligible denials that end the request as denied, counted like approvals
    /// (`deny_quorum`; 1: one deny ends it). Independent of `quorum`, and may exceed it.
    public var denyQuorum: Int
    /// Seconds the request stays open.
    public var expiresIn: Int
    /// Whether each approval and denial must give a reason.
    public var reasonRequired: Bool

    /// How long a request stays open when the rule does not say (`expires_in`), in seconds.
    public static let defaultExpiresIn = 15 * 60
    /// The largest `quorum` and `deny_quorum` a rule may ask for.
    public static let maxQuorum = 100

    /// A requirement as a rule states it; omitted terms take their defaults.
    public init(
        approver: Approver, quorum: Int = 1, denyQuorum: Int = 1, expiresIn: Int = ApprovalRequirement.defaultExpiresIn,
        reasonRequired: Bool = false
    ) {
        self.approver = approver
        self.quorum = quorum
        self.denyQuorum = denyQuorum
        self.expiresIn = expiresIn
        self.reasonRequired = reasonRequired
    }
}

/// Stronger authentication the subject must have (RFC 9470): an `acr` at least this strong and,
/// when set, an authentication no older than `maxAge` seconds.
public struct StepUpRequirement: Sendable, Hashable {
    /// The weakest `acr` accepted (RFC 9470 §3), on the policy's `acr_levels` ladder.
    public var acr: String?
    /// The longest time in seconds since the subject authenticated (RFC 9470 §3 `max_age`).
    public var maxAge: Int?

    /// A step-up requirement; nil parts ask for nothing.
    public init(acr: String? = nil, maxAge: Int? = nil) {
        self.acr = acr
        self.maxAge = maxAge
    }
}
