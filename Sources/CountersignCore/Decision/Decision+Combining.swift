extension Decision {
    /// Several decisions taken together (the actions of one token request, or one action at
    /// several locations).
    public struct Combined: Sendable {
        public var outcome: Outcome
        public var requirements: Requirements
        public var reason: String?
    }

    /// The decision of several (action, location) pairs: any deny denies with every reason;
    /// else any step-up asks for the strongest acr and the smallest max_age; else any approval
    /// asks for every approver; else allow with the shortest TTL, one-time if any is, reuse only
    /// if every one allows it (the evaluator's own combining, across actions).
    public static func combine(_ decisions: [Decision], policy: Policy) -> Combined {
        var denyReasons: [String] = []
        var stepUp: StepUpRequirement?
        var approvals: [ApprovalRequirement] = []
        var ttl: Int?
        var oneTime = false
        var reuse: Int? = decisions.isEmpty ? nil : Int.max
        var anyApproval = false
        for decision in decisions {
            switch decision.outcome {
            case .deny: denyReasons.append(decision.reason ?? "the policy denies this action")
            case .stepUp:
                let s = decision.requirements.stepUp ?? StepUpRequirement()
                var merged = stepUp ?? StepUpRequirement()
                if let acr = s.acr {
                    // The strongest: the one that satisfies the other.
                    if let current = merged.acr {
                        if policy.acr(acr, satisfies: current) { merged.acr = acr }
                    } else {
                        merged.acr = acr
                    }
                }
                if let maxAge = s.maxAge { merged.maxAge = min(merged.maxAge ?? maxAge, maxAge) }
                stepUp = merged
            case .approve:
                anyApproval = true
                for requirement in decision.requirements.approvals {
                    if let i = approvals.firstIndex(where: { $0.approver == requirement.approver }) {
                        approvals[i].tighten(with: requirement)
                    } else {
                        approvals.append(requirement)
                    }
                }
            case .allow: break
            }
            let grant = decision.requirements.grant
            ttl = min(ttl ?? Int.max, grant.ttl ?? GrantTerms.defaultTTL)
            oneTime = oneTime || grant.oneTime
            reuse = grant.reuse.flatMap { r in reuse.map { min($0, r) } }
        }
        if oneTime || anyApproval { reuse = nil }
        let grant = GrantTerms(ttl: ttl, oneTime: oneTime, reuse: reuse)
        if !denyReasons.isEmpty {
            var unique: [String] = []
            for r in denyReasons where !unique.contains(r) { unique.append(r) }
            return .init(outcome: .deny, requirements: Requirements(grant: grant), reason: unique.joined(separator: "; "))
        }
        if let stepUp { return .init(outcome: .stepUp, requirements: Requirements(stepUp: stepUp, grant: grant), reason: nil) }
        if anyApproval {
            return .init(
                outcome: .approve,
                requirements: Requirements(approvals: approvals.sorted { $0.approver.description < $1.approver.description }, grant: grant),
                reason: nil)
        }
        return .init(outcome: .allow, requirements: Requirements(grant: grant), reason: nil)
    }
}
