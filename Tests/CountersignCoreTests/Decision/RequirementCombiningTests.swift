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
            DecisionRequest(
                subject: .init(sub: "alice"), client: .init(id: "app"), action: action, context: ["amount": amount], time: 1_767_614_400)
        }
        let both = try evaluator.decide(request("refund", 5000))
        #expect(both.outcome == .approve && both.matchedRules.count == 2)
        #expect(both.requirements.approvals == [ApprovalRequirement(approver: .group("leads"), quorum: 3, denyQuorum: 1)])
        // Across the actions of one token request, the same.
        let combined = Decision.combine(
            [try evaluator.decide(request("payout", 0)), try evaluator.decide(request("refund", 5))], policy: evaluator.policy)
        #expect(combined.requirements.approvals == [ApprovalRequirement(approver: .group("leads"), quorum: 3, denyQuorum: 1)])
    }

    /// One combining rule within a decision and across the actions of a token request: rules
    /// matching on one action give what the same rules give as one action each, combined
    /// (outcome, deny reasons, step-up, approvals and, where a token follows, its terms).
    @Test func rulesOnOneActionCombineAsTheSameRulesAcrossActions() throws {
        var g = PolicyPropertyTests.Generator(state: 0xC0FFEE)
        for round in 0..<400 {
            let count = Int.random(in: 1...4, using: &g)
            let bodies = (0..<count).map { _ in Self.randomRuleBody(&g) }
            let actions = (0..<count).map { "a\($0)" }
            let header =
                "version: 1\nacr_levels: [pwd, mfa, phr]\ngroups: { g1: { claim: groups, value: g1 }, z0: { claim: groups, value: z0 } }\n"
            let together = try PolicyParser.parse(
                header + "actions: { one: {} }\nrules:\n"
                    + bodies.enumerated().map { "  - { name: r\($0.offset), action: one, \($0.element) }" }.joined(separator: "\n"))
            let apart = try PolicyParser.parse(
                header + "actions: { \(actions.map { "\($0): {}" }.joined(separator: ", ")) }\nrules:\n"
                    + bodies.enumerated().map { "  - { name: r\($0.offset), action: a\($0.offset), \($0.element) }" }.joined(
                        separator: "\n"))
            let request = { (action: String) in
                DecisionRequest(
                    subject: .init(sub: "alice", claims: ["acr": "mfa", "auth_time": 1_767_614_000]), client: .init(id: "app"),
                    action: action, time: 1_767_614_400)
            }
            let one = try PolicyEvaluator(policy: together).decide(request("one"))
            let evaluator = PolicyEvaluator(policy: apart)
            let combined = Decision.combine(try actions.map { try evaluator.decide(request($0)) }, policy: apart)
            let rules = bodies.joined(separator: "\n")
            #expect(combined.outcome == one.outcome, "round \(round):\n\(rules)")
            #expect(combined.reason == one.reason, "round \(round):\n\(rules)")
            switch one.outcome {
            case .deny: break
            case .stepUp: #expect(combined.requirements.stepUp == one.requirements.stepUp, "round \(round):\n\(rules)")
            case .allow, .approve:
                // A satisfied step-up stays on its own decision; what is asked and issued is the same.
                #expect(combined.requirements.approvals == one.requirements.approvals, "round \(round):\n\(rules)")
                #expect(combined.requirements.grant == one.requirements.grant, "round \(round):\n\(rules)")
            }
        }
    }

    /// A rule's effect and terms (no condition: it always matches).
    static func randomRuleBody(_ g: inout PolicyPropertyTests.Generator) -> String {
        let ttl = ["", "ttl: 60s, ", "ttl: 10m, "].randomElement(using: &g)!
        let oneTime = Bool.random(using: &g)
        let reuse = oneTime ? "" : ["", "reuse: 30s"].randomElement(using: &g)!
        let grant = "grant: { \(ttl)one_time: \(oneTime)\(reuse.isEmpty ? "" : ", " + reuse) }"
        let approval =
            "approval: { group: \(["g1", "z0"].randomElement(using: &g)!), quorum: \(Int.random(in: 1...3, using: &g)), "
            + "deny_quorum: \(Int.random(in: 1...3, using: &g)), expires_in: \(["10m", "1h"].randomElement(using: &g)!), "
            + "reason_required: \(Bool.random(using: &g)) }"
        switch Int.random(in: 0..<5, using: &g) {
        case 0: return "effect: deny, reason: \(["Not today.", "Ask again."].randomElement(using: &g)!)"
        case 1: return "effect: allow, \(grant)"
        case 2: return "effect: approve, \(approval), \(grant)"
        case 3: return "effect: approve, approval: { subject: true }"
        default:
            return
                "effect: allow, step_up: { acr: \(["pwd", "phr"].randomElement(using: &g)!), max_age: \(["1m", "1h"].randomElement(using: &g)!) }, \(grant)"
        }
    }
}

/// A policy stated per test, decided for one request.
extension RequirementCombiningTests {
    func decide(_ yaml: String, _ request: DecisionRequest) throws -> Decision {
        try PolicyEvaluator(policy: try PolicyParser.parse(yaml)).decide(request)
    }

    func request(_ action: String, claims: [String: PolicyValue] = [:], time: Int64 = 1_767_614_400) -> DecisionRequest {
        DecisionRequest(subject: .init(sub: "alice", claims: claims), client: .init(id: "app"), action: action, time: time)
    }

    @Test func aRuleWithoutTTLTakesPartAsTheDefault() throws {
        let d = try decide(
            """
            version: 1
            actions: { a: {} }
            rules:
              - { name: everyone, action: a, effect: allow }
              - { name: long, action: a, effect: allow, grant: { ttl: 1h } }
            """, request("a"))
        #expect(d.requirements.grant.ttl == GrantTerms.defaultTTL)
    }
}
