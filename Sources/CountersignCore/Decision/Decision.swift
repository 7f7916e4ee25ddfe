/// The answer to a `DecisionRequest`: an outcome, the combined requirements of every matching
/// rule, the reason for a denial, and a trace from which `Explanation` says why.
public struct Decision: Sendable {
    /// What the token endpoint does with the request (docs/POLICY.md §7).
    public enum Outcome: String, Sendable, Hashable, CustomStringConvertible {
        /// Issue the token on the grant's terms.
        case allow
        case deny
        /// People must approve first (`requirements.approvals`).
        case approve
        /// The subject must authenticate more strongly first (`requirements.stepUp`).
        case stepUp = "step_up"
        /// The outcome as the policy file and the explanation name it.
        public var description: String { rawValue }
    }

    /// What the token endpoint does with the request.
    public let outcome: Outcome
    /// The combined requirements of every matching rule.
    public let requirements: Requirements
    /// For a denial: each matching deny rule's reason, or the default's.
    public let reason: String?

    /// The requested action's rules (indexes into `Policy.rules`, shared with the policy).
    let considered: [Int]
    /// Which of `considered` matched: bit i for position i < 64, the rest in `laterMatches`.
    let matchMask: UInt64
    let laterMatches: [Int]
    /// The trace the evaluation recorded: per position in `considered`, matched or the first
    /// condition that failed. `Explanation` renders it into words on demand.
    let failures: RuleFailures

    init(
        outcome: Outcome, requirements: Requirements, reason: String?, considered: [Int] = [], matchMask: UInt64 = 0,
        laterMatches: [Int] = [], failures: RuleFailures = RuleFailures()
    ) {
        self.outcome = outcome
        self.requirements = requirements
        self.reason = reason
        self.considered = considered
        self.matchMask = matchMask
        self.laterMatches = laterMatches
        self.failures = failures
    }

    /// How each considered rule fared, in file order, as the evaluation recorded it.
    public var ruleTraces: [RuleTrace] {
        considered.enumerated().map { position, rule in RuleTrace(rule: rule, failedCondition: Int(failures[position])) }
    }

    /// Indexes (into `Policy.rules`) of the rules that matched, in file order.
    public var matchedRules: [Int] {
        var out: [Int] = []
        for (position, rule) in considered.prefix(64).enumerated() where matchMask & (1 << UInt64(position)) != 0 {
            out.append(rule)
        }
        return out + laterMatches
    }
}

/// The requirements of every matching rule, combined to the strictest.
public struct Requirements: Sendable, Hashable {
    /// One per approver (group or the subject): the largest quorum, the smallest deny quorum,
    /// the shortest expiry, and a reason required if any rule requires one. Sorted by approver.
    public var approvals: [ApprovalRequirement]
    /// The strongest acr and the smallest max_age of every matching rule.
    public var stepUp: StepUpRequirement?
    /// The shortest TTL, one-time if any rule says so, reuse only when every rule allows it.
    public var grant: GrantTerms

    /// Requirements to combine; the default asks for nothing.
    public init(approvals: [ApprovalRequirement] = [], stepUp: StepUpRequirement? = nil, grant: GrantTerms = GrantTerms()) {
        self.approvals = approvals
        self.stepUp = stepUp
        self.grant = grant
    }
}

/// How one rule fared: matched, or the id of the first condition node that failed.
public struct RuleTrace: Sendable, Hashable {
    /// The rule's index in `Policy.rules`.
    public let rule: Int
    /// -1 when the rule matched; -2 when a value had the wrong type.
    public let failedCondition: Int

    /// Whether the rule matched.
    public var matched: Bool { failedCondition == -1 }
}

/// A request the policy cannot decide because a value has the wrong type: an error, never a
/// silent non-match (a string `"100"` compared with `lte: 100` must not fall through to `allow`).
public struct DecisionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The attribute whose value had the wrong type (`context.amount`).
    public let attribute: String
    /// What was wrong with the value.
    public let message: String
    /// The error as the explanation and the 400 answer show it.
    public var description: String { "\(attribute): \(message)" }
}
