import CountersignCore
import Testing

/// Combining within one action, in either rule order: the smallest max_age of every matching
/// step-up, and a one-time grant as soon as one matching rule asks for it.
@Suite struct RequirementCombiningTests {
    static let rules = [
        "  - { name: recent, action: rotate, effect: step_up, step_up: { acr: mfa, max_age: 10m } }",
        "  - { name: very-recent, action: rotate, when: { context.scope: { eq: all } }, effect: step_up, step_up: { acr: mfa, max_age: 5m } }",
        "  - { name: reusable, action: read, effect: allow, grant: { ttl: 5m } }",
        "  - { name: once, action: read, when: { context.amount: { gt: 100 } }, effect: allow, grant: { ttl: 10m, one_time: true } }",
    ]

    static func evaluator(reversed: Bool) throws -> PolicyEvaluator {
        let text = "version: 1\nactions: { rotate: {}, read: {} }\nrules:\n" + (reversed ? rules.reversed() : rules).joined(separator: "\n")
        return PolicyEvaluator(policy: try PolicyParser.parse(text))
    }

    func decide(_ action: String, reversed: Bool, context: [String: PolicyValue] = [:]) throws -> Decision {
        try Self.evaluator(reversed: reversed).decide(
            DecisionRequest(subject: .init(sub: "alice"), client: .init(id: "app"), action: action, context: context, time: 1_767_614_400))
    }

    @Test(arguments: [false, true])
    func theSmallestOfTwoMaxAgesApplies(reversed: Bool) throws {
        let both = try decide("rotate", reversed: reversed, context: ["scope": "all"])
        #expect(both.outcome == .stepUp)
        #expect(both.requirements.stepUp == StepUpRequirement(acr: "mfa", maxAge: 300))
        let one = try decide("rotate", reversed: reversed)
        #expect(one.requirements.stepUp == StepUpRequirement(acr: "mfa", maxAge: 600))
    }

    @Test(arguments: [false, true])
    func oneTimeWhenOneOfTwoMatchingRulesSaysSo(reversed: Bool) throws {
        let both = try decide("read", reversed: reversed, context: ["amount": 500])
        #expect(both.outcome == .allow)
        #expect(both.matchedRules.count == 2)
        #expect(both.requirements.grant.oneTime)
        #expect(both.requirements.grant.ttl == 300)
        let one = try decide("read", reversed: reversed, context: ["amount": 5])
        #expect(one.outcome == .allow)
        #expect(!one.requirements.grant.oneTime)
    }

    static let approvalRules = [
        "  - { name: two-leads, action: refund, effect: approve, approval: { group: leads, quorum: 2, deny_quorum: 1 } }",
        "  - { name: three-leads, action: refund, when: { context.amount: { gt: 1000 } }, effect: approve, approval: { group: leads, quorum: 3, deny_quorum: 2 } }",
        "  - { name: payout, action: payout, effect: approve, approval: { group: leads, quorum: 3, deny_quorum: 2 } }",
    ]

    static func approvalEvaluator(reversed: Bool) throws -> PolicyEvaluator {
        let text =
            "version: 1\ngroups: { leads: { claim: groups, value: leads } }\nactions: { refund: {}, payout: {} }\nrules:\n"
            + (reversed ? approvalRules.reversed() : approvalRules).joined(separator: "\n")
        return PolicyEvaluator(policy: try PolicyParser.parse(text))
    }

    /// For one group the strictest terms apply, each on its own: the largest quorum and the
    /// smallest deny quorum (a denial is the safe outcome), whichever rules they come from.
    @Test(arguments: [false, true])
    func theLargestQuorumAndTheSmallestDenyQuorumOfOneGroupApply(reversed: Bool) throws {
        let evaluator = try Self.approvalEvaluator(reversed: reversed)
        let request = { (action: String, amount: PolicyValue) in
            DecisionRequest(subject: .init(sub: "alice"), client: .init(id: "app"), action: action, context: ["amount": amount], time: 1_767_614_400)
        }
        let both = try evaluator.decide(request("refund", 5000))
        #expect(both.outcome == .approve && both.matchedRules.count == 2)
        #expect(both.requirements.approvals == [ApprovalRequirement(approver: .group("leads"), quorum: 3, denyQuorum: 1)])
        // Across the actions of one token request, the same.
        let combined = Decision.combine(
            [try evaluator.decide(request("payout", 0)), try evaluator.decide(request("refund", 5))], policy: evaluator.policy)
        #expect(combined.requirements.approvals == [ApprovalRequirement(approver: .group("leads"), quorum: 3, denyQuorum: 1)])
    }
}
