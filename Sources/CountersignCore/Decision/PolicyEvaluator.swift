/// Decides a request against a policy. Pure and allocation-light: it reads only the rules of
/// the requested action (the index built at load), so its cost grows with that action's rules,
/// not with the file.
///
/// Combining is order-independent:
/// 1. any matching `deny` rule wins (the reasons of every matching deny rule are given);
/// 2. otherwise, if no rule matched, the policy's `default` applies (deny unless it says allow);
/// 3. otherwise every matching rule's requirements apply together: per approver the largest
///    quorum, the smallest deny quorum, the shortest expiry and a reason if any rule wants one
///    (`ApprovalRequirement.tighten`); the strongest `acr` and the smallest `max_age`; the
///    shortest TTL, one-time if any rule says so, and decision reuse only when every matching
///    rule allows it (never for one-time grants or approvals);
/// 4. the outcome is `step_up` while the subject's authentication falls short, then `approve`
///    while approvals are required, else `allow`.
public struct PolicyEvaluator: Sendable {
    public let policy: Policy

    public init(policy: Policy) {
        self.policy = policy
    }

    /// The decision for one request; throws when a value has the wrong type for a comparison.
    /// The rules' conditions run as the policy's compiled `DecisionProgram`; the decision keeps
    /// the trace of each rule (matched, or its first failing condition) for `Explanation`.
    public func decide(_ request: DecisionRequest) throws(DecisionError) -> Decision {
        guard let actionIndex = policy.actionIndex.index(of: request.action) else {
            return Decision(
                outcome: .deny, requirements: Requirements(), reason: "\(request.action) is not an action of this policy")
        }
        let program = policy.program
        let plan = program.plans[actionIndex]
        var failures = RuleFailures()
        var mask: UInt64 = 0
        var later: [Int] = []
        var failure: DecisionError?
        // The slots are filled inside; the combination is built outside, from plain values.
        withUnsafeTemporaryAllocation(of: AttributeSlot.self, capacity: max(plan.slotCount, 1)) { buffer in
            var slots = SlotCache(buffer.baseAddress!, count: plan.slotCount)
            let reads = program.reads.baseAddress! + plan.firstRead
            var step = plan.firstStep
            do throws(DecisionError) {
                for position in 0..<plan.considered.count {
                    let failed = try program.evaluate(step, request, &slots, reads)
                    failures.record(failed, at: position)
                    if failed < 0 {
                        if position < 64 { mask |= 1 << UInt64(position) } else { later.append(plan.considered[position]) }
                    }
                    step = Int(program.steps[step].end)
                }
            } catch {
                failure = error
            }
            slots.clear()
        }
        if let failure { throw failure }
        // One matching rule that grants: its requirements were combined at load.
        if later.isEmpty, mask != 0, mask & (mask - 1) == 0,
            let requirements = program.lone[plan.considered[mask.trailingZeroBitCount]]
        {
            return Decision(
                outcome: Combination.outcome(requirements, for: request, policy: policy), requirements: requirements,
                reason: nil, considered: plan.considered, matchMask: mask, failures: failures)
        }
        var combined = Combination()
        var bits = mask
        while bits != 0 {
            combined.add(rule: plan.considered[bits.trailingZeroBitCount], policy: policy)
            bits &= bits - 1
        }
        for r in later { combined.add(rule: r, policy: policy) }
        return combined.decision(
            for: request, policy: policy, actionIndex: actionIndex, considered: plan.considered, mask: mask, later: later,
            failures: failures)
    }

    /// How each rule of the request's action fared, for `Explanation`: matched, or the first
    /// condition that failed. A value of the wrong type counts as a failure of that test here.
    public func trace(_ request: DecisionRequest) -> [RuleTrace] {
        guard let actionIndex = policy.actionIndex.index(of: request.action) else { return [] }
        let program = policy.program
        let plan = program.plans[actionIndex]
        return withUnsafeTemporaryAllocation(of: AttributeSlot.self, capacity: max(plan.slotCount, 1)) { buffer in
            var slots = SlotCache(buffer.baseAddress!, count: plan.slotCount)
            defer { slots.clear() }
            let reads = program.reads.baseAddress! + plan.firstRead
            var step = plan.firstStep
            var traces: [RuleTrace] = []
            for r in plan.considered {
                let failed = (try? program.evaluate(step, request, &slots, reads)) ?? -2
                traces.append(RuleTrace(rule: r, failedCondition: Int(failed)))
                step = Int(program.steps[step].end)
            }
            return traces
        }
    }
}

/// The running combination of matching rules.
struct Combination {
    var denyReasons: [String] = []
    var anyGrantingRule = false
    var approvals: [ApprovalRequirement] = []
    var stepUp: StepUpRequirement?
    var ttl: Int?
    var oneTime = false
    var reuse: Int?
    var everyRuleReuses = true
    var anyRuleWithoutTTL = false

    /// Adds a matching rule, reading only the fields it needs (a whole `Rule` is costly to copy).
    mutating func add(rule r: Int, policy: Policy) {
        add(policy.rules[r], policy: policy)
    }

    /// The requirements of a granting rule when it is the only one that matches (nil for a
    /// deny rule): what `decide` gives such a decision, worked out once at load.
    static func requirements(ofLone rule: Rule) -> Requirements? {
        guard rule.effect != .deny else { return nil }
        var combination = Combination()
        combination.add(rule, policy: nil)
        return combination.requirements
    }

    /// `policy` ranks acr values when step-up requirements meet; nil only for the first rule.
    mutating func add(_ rule: Rule, policy: Policy?) {
        if rule.effect == .deny {
            denyReasons.append(rule.reason ?? "denied by rule \(rule.name)")
            return
        }
        anyGrantingRule = true
        if let grant = rule.grant {
            if let t = grant.ttl { ttl = min(ttl ?? t, t) } else { anyRuleWithoutTTL = true }
            oneTime = oneTime || grant.oneTime
            if let r = grant.reuse { reuse = min(reuse ?? r, r) } else { everyRuleReuses = false }
        } else {
            everyRuleReuses = false
            anyRuleWithoutTTL = true
        }
        if let approval = rule.approval {
            if approvals.isEmpty { approvals = rule.approvalList } else { merge(approval) }
        }
        if let s = rule.stepUp { merge(s, policy: policy) }
    }

    mutating func merge(_ approval: ApprovalRequirement) {
        if let i = approvals.firstIndex(where: { $0.approver == approval.approver }) {
            approvals[i].tighten(with: approval)
        } else if approvals.isEmpty {
            approvals = [approval]
        } else {
            approvals.append(approval)
        }
    }

    mutating func merge(_ requirement: StepUpRequirement, policy: Policy?) {
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

    func decision(
        for request: DecisionRequest, policy: Policy, actionIndex: Int, considered: [Int], mask: UInt64, later: [Int],
        failures: RuleFailures
    ) -> Decision {
        if !denyReasons.isEmpty {
            return Decision(
                outcome: .deny, requirements: Requirements(), reason: denyReasons.joined(separator: " "),
                considered: considered, matchMask: mask, laterMatches: later, failures: failures)
        }
        guard anyGrantingRule else {
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

    /// The combined requirements of the granting rules added.
    var requirements: Requirements {
        let sortedApprovals = approvals.count > 1 ? approvals.sorted { $0.approver.sortKey < $1.approver.sortKey } : approvals
        // A matching rule without a TTL stands for the default lifetime.
        let combinedTTL = anyRuleWithoutTTL ? ttl.map { min($0, GrantTerms.defaultTTL) } : ttl
        let grant = GrantTerms(
            ttl: combinedTTL, oneTime: oneTime, reuse: (everyRuleReuses && !oneTime && approvals.isEmpty) ? reuse : nil)
        return Requirements(approvals: sortedApprovals, stepUp: stepUp, grant: grant)
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

extension ApprovalRequirement.Approver {
    var sortKey: String {
        switch self {
        case .group(let g): "g:" + g
        case .subject: "s"
        }
    }
}
