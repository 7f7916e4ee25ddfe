/// The one combining rule (docs/POLICY.md §7), used within a decision (the matching rules of one
/// action at one location) and across decisions (the actions and locations of one token
/// request). Order-independent:
/// 1. any deny wins, with the reason of every deny, each once, joined with spaces in order;
/// 2. otherwise the requirements combine to the strictest: per approver the largest quorum, the
///    smallest deny quorum, the shortest expiry and a reason if any wants one; the strongest
///    `acr` and the smallest `max_age`; the shortest TTL (a rule or decision without one counts
///    as the default), one-time if any is, and reuse (the shortest) only when every part allows
///    it, never with one-time or approvals;
/// 3. the outcome is step-up while authentication falls short, then approve while approvals
///    are required, else allow.
struct Combination {
    var denyReasons: [String] = []
    var anyGrant = false
    var approvals: [ApprovalRequirement] = []
    var stepUp: StepUpRequirement?
    var ttl: Int?
    var oneTime = false
    var reuse: Int?
    var everyPartReuses = true
    var anyPartWithoutTTL = false

    /// Adds a matching rule, reading only the fields it needs (a whole `Rule` is costly to copy).
    mutating func add(rule r: Int, policy: Policy) {
        add(policy.rules[r], policy: policy)
    }

    /// The requirements of a granting rule when it is the only one that matches (nil for a
    /// deny rule): what `PolicyEvaluator.decide` gives such a decision, worked out once at load.
    static func requirements(ofLone rule: Rule) -> Requirements? {
        guard rule.effect != .deny else { return nil }
        var combination = Combination()
        combination.add(rule, policy: nil)
        return combination.requirements
    }

    /// `policy` ranks acr values when step-up requirements meet; nil only for the first rule.
    mutating func add(_ rule: Rule, policy: Policy?) {
        if rule.effect == .deny {
            addDenial(rule.reason ?? "denied by rule \(rule.name)")
            return
        }
        anyGrant = true
        add(rule.grant)
        if let approval = rule.approval {
            if approvals.isEmpty { approvals = rule.approvalList } else { merge(approval) }
        }
        if let s = rule.stepUp { merge(s, policy: policy) }
    }

    /// Adds the decision of one (action, location) pair of a token request: a deny brings its
    /// reason, a step-up its step-up, an approval its approvers, and every grant its terms.
    mutating func add(_ decision: Decision, policy: Policy) {
        switch decision.outcome {
        case .deny:
            addDenial(decision.reason ?? "the policy denies this action")
            return
        case .stepUp:
            merge(decision.requirements.stepUp ?? StepUpRequirement(), policy: policy)
        case .approve:
            for approval in decision.requirements.approvals { merge(approval) }
        case .allow:
            break
        }
        anyGrant = true
        add(decision.requirements.grant)
    }

    private mutating func addDenial(_ reason: String) {
        if !denyReasons.contains(reason) { denyReasons.append(reason) }
    }

    private mutating func add(_ grant: GrantTerms?) {
        guard let grant else {
            everyPartReuses = false
            anyPartWithoutTTL = true
            return
        }
        if let t = grant.ttl { ttl = min(ttl ?? t, t) } else { anyPartWithoutTTL = true }
        oneTime = oneTime || grant.oneTime
        if let r = grant.reuse { reuse = min(reuse ?? r, r) } else { everyPartReuses = false }
    }

    /// Per approver the strictest of each term (POLICY.md §7): the largest `quorum`, the smallest
    /// `deny_quorum` (a denial is the safe outcome), the shortest expiry, and a reason if either
    /// wants one. Commutative and associative, so the order of rules does not matter.
    private mutating func merge(_ approval: ApprovalRequirement) {
        guard let i = approvals.firstIndex(where: { $0.approver == approval.approver }) else {
            approvals.append(approval)
            return
        }
        approvals[i].quorum = max(approvals[i].quorum, approval.quorum)
        approvals[i].denyQuorum = min(approvals[i].denyQuorum, approval.denyQuorum)
        approvals[i].expiresIn = min(approvals[i].expiresIn, approval.expiresIn)
        approvals[i].reasonRequired = approvals[i].reasonRequired || approval.reasonRequired
    }

    /// The strongest acr (the one that satisfies the other on the policy's ladder) and the
    /// smallest max_age.
    private mutating func merge(_ requirement: StepUpRequirement, policy: Policy?) {
        guard var current = stepUp else {
            stepUp = requirement
            return
        }
        if let acr = requirement.acr {
            if let have = current.acr {
                if !(policy?.acr(have, satisfies: acr) ?? false) { current.acr = acr }
            } else {
                current.acr = acr
            }
        }
        if let m = requirement.maxAge { current.maxAge = min(current.maxAge ?? m, m) }
        stepUp = current
    }

    /// The deny reasons, each once, in the order they came.
    var denyReason: String? { denyReasons.isEmpty ? nil : denyReasons.joined(separator: " ") }

    /// The combined requirements of what was added.
    var requirements: Requirements {
        let sortedApprovals = approvals.count > 1 ? approvals.sorted { $0.approver.sortKey < $1.approver.sortKey } : approvals
        // A part without a TTL stands for the default lifetime.
        let combinedTTL = anyPartWithoutTTL ? ttl.map { min($0, GrantTerms.defaultTTL) } : ttl
        let grant = GrantTerms(
            ttl: combinedTTL, oneTime: oneTime, reuse: (everyPartReuses && !oneTime && approvals.isEmpty) ? reuse : nil)
        return Requirements(approvals: sortedApprovals, stepUp: stepUp, grant: grant)
    }

    /// The decision of the rules added, for one request.
    func decision(
        for request: DecisionRequest, policy: Policy, actionIndex: Int, considered: [Int], mask: UInt64, later: [Int],
        failures: RuleFailures
    ) -> Decision {
        if let denyReason {
            return Decision(
                outcome: .deny, requirements: Requirements(), reason: denyReason,
                considered: considered, matchMask: mask, laterMatches: later, failures: failures)
        }
        guard anyGrant else {
            if policy.defaultEffect == .allow {
                return Decision(
                    outcome: .allow, requirements: Requirements(), reason: nil, considered: considered, failures: failures)
            }
            return Decision(
                outcome: .deny, requirements: Requirements(),
                reason: policy.defaultDenyReasons[actionIndex], considered: considered, failures: failures)
        }
        let requirements = requirements
        return Decision(
            outcome: Self.outcome(requirements, for: request, policy: policy), requirements: requirements, reason: nil,
            considered: considered, matchMask: mask, laterMatches: later, failures: failures)
    }

    /// The combination of the decisions added. Each decision already weighed the subject's
    /// authentication, so a step-up requirement counts only where its decision asked for one.
    var combined: Decision.Combined {
        let requirements = requirements
        if let denyReason {
            return .init(outcome: .deny, requirements: Requirements(grant: requirements.grant), reason: denyReason)
        }
        if let stepUp = requirements.stepUp {
            return .init(outcome: .stepUp, requirements: Requirements(stepUp: stepUp, grant: requirements.grant), reason: nil)
        }
        return .init(outcome: requirements.approvals.isEmpty ? .allow : .approve, requirements: requirements, reason: nil)
    }

    /// Step-up while the subject's authentication falls short, then approval, else allow.
    static func outcome(_ requirements: Requirements, for request: DecisionRequest, policy: Policy) -> Decision.Outcome {
        if let stepUp = requirements.stepUp, !satisfied(stepUp, by: request, policy: policy) { return .stepUp }
        return requirements.approvals.isEmpty ? .allow : .approve
    }

    /// RFC 9470: the subject's `acr` is at least as strong, and it authenticated within `max_age`.
    static func satisfied(_ requirement: StepUpRequirement, by request: DecisionRequest, policy: Policy) -> Bool {
        if let acr = requirement.acr, !policy.acr(request.subject.acr, satisfies: acr) { return false }
        if let maxAge = requirement.maxAge {
            guard let authTime = request.subject.authTime, authTime <= request.time else { return false }
            let (age, overflow) = request.time.subtractingReportingOverflow(authTime)
            guard !overflow, age <= Int64(maxAge) else { return false }
        }
        return true
    }
}

extension Decision {
    /// Several decisions taken together (the actions of one token request, or one action at
    /// several locations), by the one combining rule (`Combination`).
    public struct Combined: Sendable {
        /// The outcome of the decisions together (docs/POLICY.md §7).
        public var outcome: Outcome
        /// Their requirements, combined to the strictest.
        public var requirements: Requirements
        /// For a denial: the reasons of every denying decision.
        public var reason: String?
    }

    /// The decision of several (action, location) pairs, by the same rule that combines the
    /// matching rules of one (`Combination`).
    public static func combine(_ decisions: [Decision], policy: Policy) -> Combined {
        var combination = Combination()
        for decision in decisions { combination.add(decision, policy: policy) }
        return combination.combined
    }
}

extension ApprovalRequirement.Approver {
    /// The order approvers are listed in: groups by name, then the subject.
    var sortKey: String {
        switch self {
        case .group(let g): "g:" + g
        case .subject: "s"
        }
    }
}
