import CountersignCore
import Foundation
import Testing

/// Generated cases (seeded, so a failure reproduces): combining is order-independent, and no
/// document or request makes the parser or evaluator crash.
@Suite struct PolicyPropertyTests {
    /// SplitMix64: small, seedable, good enough to spread cases.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let roles = ["admin", "guest", "finance", "employee"]

    static func randomRule(_ i: Int, _ g: inout Generator) -> String {
        let conditions = [
            "{ context.amount: { lte: \(Int.random(in: 0...200, using: &g)) } }",
            "{ context.amount: { gt: \(Int.random(in: 0...200, using: &g)) } }",
            "{ subject.roles: { contains: \(roles.randomElement(using: &g)!) } }",
            "{ not: { subject.roles: { contains: \(roles.randomElement(using: &g)!) } } }",
            "{ any: [ { context.amount: { lt: \(Int.random(in: 0...200, using: &g)) } }, { subject.org: { eq: acme } } ] }",
            "{ context.note: { exists: \(Bool.random(using: &g)) } }",
        ]
        let when = conditions.randomElement(using: &g)!
        switch Int.random(in: 0..<4, using: &g) {
        case 0:
            return "  - { name: r\(i), action: act, when: \(when), effect: deny }"
        case 1:
            return
                "  - { name: r\(i), action: act, when: \(when), effect: allow, grant: { ttl: \(Int.random(in: 1...600, using: &g)), one_time: \(Bool.random(using: &g)) } }"
        case 2:
            return
                "  - { name: r\(i), action: act, when: \(when), effect: approve, approval: { group: \(["g1", "g2"].randomElement(using: &g)!), quorum: \(Int.random(in: 1...3, using: &g)), expires_in: \(Int.random(in: 60...7200, using: &g)) } }"
        default:
            return
                "  - { name: r\(i), action: act, when: \(when), effect: step_up, step_up: { acr: \(["pwd", "mfa", "phr"].randomElement(using: &g)!), max_age: \(Int.random(in: 0...900, using: &g)) } }"
        }
    }

    static func policy(_ rules: [String]) throws -> Policy {
        try PolicyParser.parse(
            """
            version: 1
            groups: { g1: { claim: groups, value: g1 }, g2: { claim: groups, value: g2 } }
            actions: { act: {} }
            rules:
            \(rules.joined(separator: "\n"))
            """)
    }

    @Test func theOrderOfRulesNeverChangesADecision() throws {
        var g = Generator(state: 20261125)
        for _ in 0..<60 {
            let rules = (0..<Int.random(in: 1...8, using: &g)).map { Self.randomRule($0, &g) }
            let a = PolicyEvaluator(policy: try Self.policy(rules))
            let b = PolicyEvaluator(policy: try Self.policy(rules.shuffled(using: &g)))
            for _ in 0..<25 {
                var context: [String: PolicyValue] = [:]
                if Bool.random(using: &g) { context["amount"] = .number(ExactDecimal(Int64.random(in: -5...205, using: &g))) }
                if Bool.random(using: &g) { context["note"] = "n" }
                var claims: [String: PolicyValue] = [
                    "roles": .list(Self.roles.filter { _ in Bool.random(using: &g) }.map(PolicyValue.string))
                ]
                if Bool.random(using: &g) { claims["org"] = "acme" }
                if Bool.random(using: &g) { claims["acr"] = .string(["pwd", "mfa", "phr"].randomElement(using: &g)!) }
                claims["auth_time"] = .number(ExactDecimal(Int64(1_767_614_400 - Int.random(in: 0...1000, using: &g))))
                let r = DecisionRequest(
                    subject: .init(sub: "s", claims: claims), client: .init(id: "c"), action: "act", context: context, time: 1_767_614_400)
                let x = try a.decide(r)
                let y = try b.decide(r)
                #expect(x.outcome == y.outcome)
                #expect(x.requirements == y.requirements)
                #expect(Set(x.matchedRules.map { a.policy.rules[$0].name }) == Set(y.matchedRules.map { b.policy.rules[$0].name }))
            }
        }
    }

    @Test func mangledPolicyFilesNeverCrashTheParser() throws {
        let text = try String(contentsOfFile: PolicyParserTests.examplePath, encoding: .utf8)
        var g = Generator(state: 7)
        let alphabet = Array(":{}[]-&*!|>\"'#, \n\t\\%@`?~0123456789e.aZ\u{0}\u{FEFF}é")
        var loaded = 0
        for _ in 0..<300 {
            var chars = Array(text)
            for _ in 0..<Int.random(in: 1...6, using: &g) {
                let at = Int.random(in: 0..<chars.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: chars.remove(at: at)
                case 1: chars.insert(alphabet.randomElement(using: &g)!, at: at)
                default: chars[at] = alphabet.randomElement(using: &g)!
                }
            }
            do {
                _ = try PolicyParser.parse(String(chars))
                loaded += 1
            } catch {
                #expect(!error.errors.isEmpty)
                #expect(error.errors.allSatisfy { $0.location.line >= 1 && !$0.message.isEmpty })
            }
        }
        #expect(loaded < 300)
    }

    /// A random YAML tree over the policy's own vocabulary (known and unknown keys, operators,
    /// effects, every scalar type, flow and block style, nesting), so the parser meets documents
    /// of every shape, not only small edits of the example.
    static func randomNode(depth: Int, _ g: inout Generator) -> String {
        let keys = [
            "version", "groups", "actions", "rules", "default", "tests", "name", "action", "when", "effect", "grant",
            "approval", "step_up", "reason", "ttl", "one_time", "reuse", "group", "quorum", "expires_in", "subject",
            "acr", "max_age", "all", "any", "not", "eq", "ne", "in", "not_in", "contains", "lt", "lte", "gt", "gte",
            "glob", "regex", "cidr", "between", "exists", "context.amount", "subject.roles", "request.ip", "fields",
            "resource", "request", "expect", "claim", "value", "members", "bogus",
        ]
        let scalars = [
            "1", "-0", "1e309", "100.0000000000000001", "\"100\"", "true", "null", "~", "allow", "deny", "approve",
            "step_up", "60s", "10m", "2h", "refund", "\"a: b\"", "'x'", "10.0.0.0/8", "\"09:00\"", "[]", "{}", "é",
            "\"\\u0000\"", "!!str 5", "0x1F", ".inf", "2001:db8::/32",
        ]
        if depth == 0 || Int.random(in: 0..<4, using: &g) == 0 { return scalars.randomElement(using: &g)! }
        let n = Int.random(in: 0...4, using: &g)
        switch Int.random(in: 0..<3, using: &g) {
        case 0:
            let members = (0..<n).map { _ in "\(keys.randomElement(using: &g)!): \(randomNode(depth: depth - 1, &g))" }
            return "{ " + members.joined(separator: ", ") + " }"
        case 1:
            return "[" + (0..<n).map { _ in randomNode(depth: depth - 1, &g) }.joined(separator: ", ") + "]"
        default:
            let members = (0..<n).map { _ in "\(keys.randomElement(using: &g)!): \(randomNode(depth: depth - 1, &g))" }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    @Test func randomlyShapedDocumentsNeverCrashTheParser() throws {
        var g = Generator(state: 2026)
        var refused = 0
        for _ in 0..<600 {
            let top = ["version", "groups", "actions", "rules", "default", "tests", "bogus"]
            var lines: [String] = []
            for key in top where Int.random(in: 0..<3, using: &g) > 0 {
                lines.append("\(key): \(Self.randomNode(depth: Int.random(in: 0...6, using: &g), &g))")
            }
            do {
                _ = try PolicyParser.parse(lines.joined(separator: "\n"))
            } catch {
                refused += 1
                #expect(!error.errors.isEmpty)
                #expect(error.errors.allSatisfy { $0.location.line >= 1 && $0.location.column >= 1 && !$0.message.isEmpty })
            }
        }
        #expect(refused > 500, "random documents are almost never valid policies")
    }

    @Test func deepNestingInATestsRequestIsRefusedWithALocation() throws {
        let deep = String(repeating: "{a: ", count: 5_000) + "1" + String(repeating: "}", count: 5_000)
        let text = """
            version: 1
            actions: { refund: {} }
            rules: [{ name: r, action: refund, effect: allow }]
            tests:
              - name: deep
                request: { subject: { sub: s }, action: refund, context: \(deep) }
                expect: allow
            """
        #expect(throws: PolicyLoadError.self) { try PolicyParser.parse(text) }
        do {
            _ = try PolicyParser.parse(text)
        } catch {
            #expect(error.errors.first?.location.line == 6)
            #expect(error.errors.first?.message.contains("nested too deeply") == true)
        }
    }

    @Test func hostileRequestValuesNeverCrashTheEvaluator() throws {
        let text = try String(contentsOfFile: PolicyParserTests.examplePath, encoding: .utf8)
        let evaluator = PolicyEvaluator(policy: try PolicyParser.parse(text))
        var g = Generator(state: 99)
        let values: [PolicyValue] = [
            .null, true, 0, -1, "", "EUR", "100", "10.0.0.1", "::ffff:10.0.0.1", "not an ip", .list([]), .list(["x", 1]),
            .object(["a": .object([:])]), .number(try ExactDecimal(literal: "1e999")), .string(String(repeating: "a", count: 10_000)),
        ]
        var decided = 0
        for _ in 0..<2000 {
            let action = evaluator.policy.actions.randomElement(using: &g)!.name
            var context: [String: PolicyValue] = [:]
            for key in ["amount", "currency", "dataset", "iban", "extra"] where Bool.random(using: &g) {
                context[key] = values.randomElement(using: &g)!
            }
            let claims: [String: PolicyValue] = [
                "roles": values.randomElement(using: &g)!, "acr": values.randomElement(using: &g)!,
                "auth_time": values.randomElement(using: &g)!,
            ]
            let r = DecisionRequest(
                subject: .init(sub: "s", claims: claims), client: .init(id: "c"), action: action, context: context,
                ip: Bool.random(using: &g) ? IPAddress("10.1.2.3") : nil, time: Int64.random(in: -1_000_000...4_000_000_000, using: &g))
            do {
                let d = try evaluator.decide(r)
                _ = Explanation(decision: d, request: r, policy: evaluator.policy).text
                decided += 1
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(decided > 0)
    }
}

/// A policy stated per test, decided for one request.
extension PolicyPropertyTests {
    func decide(_ yaml: String, _ request: DecisionRequest) throws -> Decision {
        try PolicyEvaluator(policy: try PolicyParser.parse(yaml)).decide(request)
    }

    func request(_ action: String, claims: [String: PolicyValue] = [:], time: Int64 = 1_767_614_400) -> DecisionRequest {
        DecisionRequest(subject: .init(sub: "alice", claims: claims), client: .init(id: "app"), action: action, time: time)
    }

    @Test func extremeAuthTimesAndClockValuesNeverTrap() throws {
        let yaml = """
            version: 1
            actions: { a: {} }
            rules:
              - { name: r, action: a, effect: step_up, step_up: { acr: mfa, max_age: 5m } }
            """
        for (authTime, now) in [(Int64.min, Int64(1_767_614_400)), (Int64(0), Int64.max), (Int64.min, Int64.max)] {
            let d = try decide(yaml, request("a", claims: ["acr": "mfa", "auth_time": .number(ExactDecimal(authTime))], time: now))
            #expect(d.outcome == .stepUp)
        }
        #expect(RFC3339.format(Int64.min).hasSuffix("Z"))
        #expect(RFC3339.format(-1) == "1969-12-31T23:59:59Z")
    }
}
