import Foundation
import Testing

@testable import CountersignCore

/// The compiled program decides exactly as the condition trees read, and the trace a decision
/// records is the explanation's: generated policies (nested all/any/not over numbers, strings,
/// lists, addresses and absent fields) against generated requests, some with values of the
/// wrong type.
@Suite struct DecisionProgramTests {
    typealias Generator = PolicyPropertyTests.Generator

    /// The condition tree read directly, the way the evaluator worked before it was compiled:
    /// -1 when it holds, else the id of the first node that fails.
    static func reference(_ condition: Condition, _ request: DecisionRequest) throws(DecisionError) -> Int {
        switch condition {
        case .always:
            return -1
        case .test(let test):
            var slot = AttributeSlot(isRead: true, value: request.value(of: test.attribute))
            return try test.op.test(&slot, test) ? -1 : test.id
        case .all(let members, _):
            for member in members {
                let failed = try reference(member, request)
                if failed >= 0 { return failed }
            }
            return -1
        case .any(let members, let id):
            for member in members where try reference(member, request) < 0 { return -1 }
            return id
        case .not(let inner, let id):
            return try reference(inner, request) < 0 ? id : -1
        }
    }

    static let tests = [
        "{ context.amount: { lte: 100 } }", "{ context.amount: { gt: 100.5 } }", "{ context.amount: { lt: -0 } }",
        "{ context.amount: { gte: 1e2 } }", "{ context.amount: { eq: 100 } }", "{ context.amount: { exists: false } }",
        "{ context.currency: { in: [EUR, USD] } }", "{ context.currency: { ne: EUR } }",
        "{ subject.roles: { contains: admin } }", "{ subject.roles: { contains_any: [guest, finance] } }",
        "{ subject.org: { eq: acme } }", "{ context.note: { exists: true } }", "{ request.ip: { cidr: [10.0.0.0/8] } }",
        "{ context.ip: { cidr: [192.168.0.0/16] } }", "{ context.payee.country: { in: [KP, IR] } }",
        "{ subject.auth_time: { gt: 1767614000 } }",
    ]

    static func condition(depth: Int, _ g: inout Generator) -> String {
        guard depth > 0, Int.random(in: 0..<3, using: &g) == 0 else { return tests.randomElement(using: &g)! }
        let members = (0..<Int.random(in: 1...3, using: &g)).map { _ in condition(depth: depth - 1, &g) }
        switch Int.random(in: 0..<3, using: &g) {
        case 0: return "{ all: [\(members.joined(separator: ", "))] }"
        case 1: return "{ any: [\(members.joined(separator: ", "))] }"
        default: return "{ not: \(members[0]) }"
        }
    }

    static func policy(_ g: inout Generator) throws -> Policy {
        var rules: [String] = []
        for i in 0..<Int.random(in: 1...12, using: &g) {
            let action = ["a", "b", "[a, b]"].randomElement(using: &g)!
            let when = Int.random(in: 0..<8, using: &g) == 0 ? "" : "when: \(condition(depth: 3, &g)), "
            let effect = [
                "effect: allow, grant: { ttl: \(Int.random(in: 1...600, using: &g)) }", "effect: allow",
                "effect: deny", "effect: approve, approval: { group: g, quorum: \(Int.random(in: 1...3, using: &g)) }",
                "effect: step_up, step_up: { acr: mfa }",
            ].randomElement(using: &g)!
            rules.append("  - { name: r\(i), action: \(action), \(when)\(effect) }")
        }
        return try PolicyParser.parse(
            """
            version: 1
            groups: { g: { members: [x, y, z] } }
            actions: { a: {}, b: {}, c: {} }
            rules:
            \(rules.joined(separator: "\n"))
            """)
    }

    static func request(_ g: inout Generator) -> DecisionRequest {
        var context: [String: PolicyValue] = [:]
        let amounts: [PolicyValue?] = [nil, .null, 100, 250, -5, .number(try! ExactDecimal(literal: "100.0000000000000001")), "100", ["1"]]
        if let amount = amounts.randomElement(using: &g)! { context["amount"] = amount }
        if let currency = ([nil, "EUR", "USD", "GBP", 5] as [PolicyValue?]).randomElement(using: &g)! { context["currency"] = currency }
        if Bool.random(using: &g) { context["note"] = "n" }
        if let ip = ([nil, "192.168.1.9", "10.1.1.1", "not an address"] as [PolicyValue?]).randomElement(using: &g)! { context["ip"] = ip }
        if Bool.random(using: &g) { context["payee"] = .object(["country": .string(["KP", "FR"].randomElement(using: &g)!)]) }
        var claims: [String: PolicyValue] = [:]
        switch Int.random(in: 0..<4, using: &g) {
        case 0: claims["roles"] = .list(["admin", "guest", "finance"].filter { _ in Bool.random(using: &g) }.map(PolicyValue.string))
        case 1: claims["roles"] = "admin"
        case 2: claims["roles"] = 3
        default: break
        }
        if Bool.random(using: &g) { claims["org"] = "acme" }
        if Bool.random(using: &g) { claims["acr"] = "mfa" }
        if Bool.random(using: &g) {
            claims["auth_time"] = .number(ExactDecimal(Int64.random(in: 1_767_613_000...1_767_614_400, using: &g)))
        }
        // Fields beyond eight are looked up by hash rather than scanned.
        if Bool.random(using: &g) { for i in 0..<10 { context["extra\(i)"] = .number(ExactDecimal(Int64(i))) } }
        return DecisionRequest(
            subject: .init(sub: "s", claims: claims), client: .init(id: "c"), action: ["a", "b", "c", "zzz"].randomElement(using: &g)!,
            context: context, ip: [nil, IPAddress("10.2.3.4"), IPAddress("::1")].randomElement(using: &g)!, time: 1_767_614_400)
    }

    @Test func theCompiledConditionsDecideAsTheTreesRead() throws {
        var g = Generator(state: 20261203)
        var decided = 0
        var refused = 0
        for _ in 0..<150 {
            let policy = try Self.policy(&g)
            let evaluator = PolicyEvaluator(policy: policy)
            for _ in 0..<40 {
                let r = Self.request(&g)
                let rules = policy.rules(for: r.action)
                let expected: [Result<Int, DecisionError>] = rules.map { rule in
                    Result { () throws(DecisionError) in try Self.reference(rule.condition, r) }
                }
                let traced = evaluator.trace(r)
                #expect(traced.map { policy.rules[$0.rule].name } == rules.map(\.name))
                #expect(traced.map(\.failedCondition) == expected.map { (try? $0.get()) ?? -2 })
                if let firstError = expected.lazy.compactMap({ result -> DecisionError? in
                    if case .failure(let e) = result { return e }
                    return nil
                }).first {
                    #expect(throws: firstError) { try evaluator.decide(r) }
                    refused += 1
                } else {
                    let decision = try evaluator.decide(r)
                    #expect(decision.ruleTraces == traced)
                    #expect(decision.matchedRules == traced.filter(\.matched).map(\.rule))
                    decided += 1
                }
            }
        }
        // Both kinds of case were met.
        #expect(decided > 1000 && refused > 100)
    }

    /// Past 64 attributes an action's slots are set up front, and past 64 rules the matches are
    /// listed rather than kept as bits; past 8 rules the trace is kept out of line.
    @Test func wideActionsDecideAsTheTreesRead() throws {
        let fields = (0..<70).map { "{ context.f\($0): { gte: \($0 % 7) } }" }
        var rules = (0..<70).map { i in
            "  - { name: r\(i), action: a, when: { any: [\(fields[i]), \(fields[(i * 13) % 70])] }, effect: allow, grant: { ttl: \(i + 1) } }"
        }
        rules.append("  - { name: all-fields, action: a, when: { all: [\(fields.joined(separator: ", "))] }, effect: deny }")
        let policy = try PolicyParser.parse("version: 1\nactions: { a: {} }\nrules:\n" + rules.joined(separator: "\n"))
        let evaluator = PolicyEvaluator(policy: policy)
        var g = Generator(state: 64)
        for _ in 0..<50 {
            var context: [String: PolicyValue] = [:]
            for i in 0..<70 where Int.random(in: 0..<3, using: &g) > 0 {
                context["f\(i)"] = .number(ExactDecimal(Int64.random(in: 0...7, using: &g)))
            }
            let r = DecisionRequest(subject: .init(sub: "s"), client: .init(id: "c"), action: "a", context: context, time: 0)
            let expected = try policy.rules(for: "a").map { try Self.reference($0.condition, r) }
            let decision = try evaluator.decide(r)
            #expect(decision.ruleTraces.map(\.failedCondition) == expected)
            #expect(decision.matchedRules == expected.indices.filter { expected[$0] == -1 })
            #expect(evaluator.trace(r) == decision.ruleTraces)
        }
    }

    /// The trace keeps every position's id, inline or not: ids past 16 bits, positions past 16.
    @Test(arguments: [
        [-1, 3, 7, -1], [Int32](repeating: 2, count: 16), (0..<40).map { Int32($0) }, [-1, 40_000, 5],
        [70_000], (0..<20).map { $0 == 17 ? Int32.max : -1 },
    ])
    func theTraceKeepsEveryPosition(ids: [Int32]) {
        var failures = RuleFailures()
        for (position, id) in ids.enumerated() { failures.record(id, at: position) }
        #expect(ids.indices.map { failures[$0] } == ids)
    }

    /// A rule matching alone takes requirements worked out at load; with an identical copy of it
    /// matching too, they are combined at decision time. Both must agree.
    @Test func aLoneMatchingRuleGivesWhatCombiningGives() throws {
        var g = Generator(state: 42)
        for i in 0..<200 {
            let rule = PolicyPropertyTests.randomRule(0, &g)
            let copy = rule.replacingOccurrences(of: "name: r0", with: "name: r1")
            let lone = PolicyEvaluator(policy: try PolicyPropertyTests.policy([rule]))
            let twice = PolicyEvaluator(policy: try PolicyPropertyTests.policy([rule, copy]))
            for _ in 0..<5 {
                let r = DecisionRequest(
                    subject: .init(
                        sub: "s",
                        claims: [
                            "roles": .list(PolicyPropertyTests.roles.filter { _ in Bool.random(using: &g) }.map(PolicyValue.string)),
                            "acr": .string(["pwd", "mfa", "phr"].randomElement(using: &g)!),
                            "auth_time": .number(ExactDecimal(Int64(1_767_614_400 - Int.random(in: 0...1000, using: &g)))),
                        ]),
                    client: .init(id: "c"), action: "act",
                    context: ["amount": .number(ExactDecimal(Int64.random(in: -5...205, using: &g)))], time: 1_767_614_400)
                let a = try lone.decide(r)
                let b = try twice.decide(r)
                #expect(a.outcome == b.outcome, "case \(i): \(rule)")
                #expect(a.requirements == b.requirements, "case \(i): \(rule)")
                #expect(a.reason == b.reason || a.outcome == .deny, "case \(i): \(rule)")
            }
        }
    }

    /// The explanation renders the trace the decision recorded, in the same words and JSON as
    /// the condition trees read again give: every test case of the example policy, and the
    /// evaluator tests' policy.
    @Test func theExplanationOfTheRecordedTraceIsTheTreesExplanation() throws {
        let example = try PolicyParser.parse(try String(contentsOfFile: PolicyParserTests.examplePath, encoding: .utf8))
        let small = try PolicyParser.parse(PolicyEvaluatorTests.policyText)
        let smallRequest = DecisionRequest(
            subject: .init(sub: "alice", claims: ["roles": ["admin"], "org": "acme"]), client: .init(id: "app"),
            action: "delete_user", context: ["hour": 21], time: 1_767_614_400)
        let cases = example.tests.map { (example, $0.request) } + [(small, smallRequest)]
        #expect(cases.count > 10)
        for (policy, request) in cases {
            guard let decision = try? PolicyEvaluator(policy: policy).decide(request) else { continue }
            var failures = RuleFailures()
            for (position, rule) in decision.considered.enumerated() {
                failures.record(Int32(try Self.reference(policy.rules[rule].condition, request)), at: position)
            }
            let reread = Decision(
                outcome: decision.outcome, requirements: decision.requirements, reason: decision.reason,
                considered: decision.considered, matchMask: decision.matchMask, laterMatches: decision.laterMatches,
                failures: failures)
            let recorded = Explanation(decision: decision, request: request, policy: policy)
            let expected = Explanation(decision: reread, request: request, policy: policy)
            #expect(recorded.text == expected.text)
            #expect(CanonicalJSON.exactString(recorded.json) == CanonicalJSON.exactString(expected.json))
        }
        let e = Explanation(decision: try PolicyEvaluator(policy: small).decide(smallRequest), request: smallRequest, policy: small)
        #expect(e.text.contains("✗ nobody-at-night (deny, line 21) did not match: context.hour gte 22 (line 21), seen 21"))
    }
}
