import CountersignCore
import Foundation
import Testing

/// Policy files are checked before they go live: every mistake is an error with its line,
/// column and a way to fix it.
@Suite struct PolicyParserTests {
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/policy.yaml").path

    /// The errors of a policy that must not load.
    func errors(_ yaml: String) -> [PolicyError] {
        do {
            _ = try PolicyParser.parse(yaml, file: "p.yaml")
            Issue.record("the policy loaded")
            return []
        } catch {
            return error.errors
        }
    }

    static let header = """
        version: 1
        groups:
          security: { members: [carol, dave] }
        actions:
          refund: { fields: { amount: number, currency: string } }
          delete_user: {}

        """

    @Test func theBundledExampleLoadsWithItsTests() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let policy = try PolicyParser.parse(text, file: Self.examplePath)
        #expect(policy.actions.map(\.name).contains("refund"))
        #expect(policy.tests.count >= 15)
    }

    @Test(arguments: [
        // (rules and tests after the header, expected line:column, expected message fragment)
        (
            "rules:\n  - { name: r, action: refund, when: { context.amount: { lte_: 5 } }, effect: allow }\n", "8:58",
            "unknown operator lte_ on context.amount (did you mean lte?)"
        ),
        (
            "rules:\n  - { name: r, action: refnud, effect: allow }\n", "8:24",
            "rule r names the action refnud, which is not declared under actions: (did you mean refund?)"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: approve, approval: { group: finance } }\n", "8:68",
            "rule r asks group finance to approve, but no such group is defined under groups:"
        ),
        (
            "rules: []\ntests:\n  - { name: t, request: { subject: u, action: wire }, expect: deny }\n", "9:25",
            "test t names the action wire, which is not declared under actions:"
        ),
        (
            "rules:\n  - { name: r, action: refund, when: { context.currency: { lt: 5 } }, effect: allow }\n", "8:60",
            "context.currency is a string, but lt compares it with a number"
        ),
        (
            "rules:\n  - { name: r, action: refund, when: { context.amount: { lte: \"100\" } }, effect: allow }\n", "8:63",
            "context.amount lte compares numbers, so its operand must be a number: write 100 without quotes"
        ),
        (
            "rules:\n  - { name: r, action: refund, when: { context.amout: { lte: 5 } }, effect: allow }\n", "8:40",
            "action refund declares no field amout (did you mean amount?)"
        ),
        (
            "rules:\n  - { name: r, action: delete_user, when: { subject.roles: { eq: admin } }, effect: allow }\n", "8:62",
            "subject.roles is a list of strings, but eq compares it with a string: use contains"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: deny, grant: { ttl: 60s } }\n", "8:53",
            "rule r denies, so it cannot have grant: remove it"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: approve }\n", "8:5",
            "rule r has effect approve but no approval"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: approve, approval: { group: security, quorum: 3 } }\n", "8:86",
            "group security has 2 member(s), so a quorum of 3 can never be reached"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: step_up, step_up: { acr: gold } }\n", "8:65",
            "acr gold is not one of acr_levels"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: allow, grant: { ttl: 2d } }\n", "8:61",
            "ttl must be between 1s and 1h, not 2d"
        ),
        (
            "rules:\n  - { name: r, action: refund, when: { context.currency: { regex: \"(a\" } }, effect: allow }\n", "8:67",
            "regex \"(a\":"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: allow }\nrulez: []\n", "9:1",
            "unknown key rulez in the policy (did you mean rules?)"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: allow, effect: deny }\n", "8:32",
            "duplicate key effect in one mapping: each key may appear once"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: permit }\n", "8:40",
            "effect must be allow, deny, approve or step_up (found permit)"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: allow }\n  - { name: r, action: refund, effect: deny }\n", "9:5",
            "rule name r is used twice"
        ),
        (
            "rules:\n  - { name: r, action: delete_user, when: { request.ip: { cidr: 10.0.0.1/8 } }, effect: allow }\n", "8:65",
            "has host bits set"
        ),
        (
            "rules:\n  - { name: r, action: delete_user, when: { subject.org: { between: { from: \"09:00\", to: \"17:00\" } } }, effect: allow }\n",
            "8:60", "between tests request.time"
        ),
        (
            "rules:\n  - { name: r, action: delete_user, when: { subject.org: [a, b] }, effect: allow }\n", "8:58",
            "subject.org: a list is not a test: write { in: [...] }"
        ),
        (
            "rules:\n  - { name: r, action: refund, effect: allow }\ntests:\n  - { name: t, request: { subject: u, action: refund }, expect: { outcome: allow, rules: [s] } }\n",
            "10:91", "test t expects the rule s, which the policy does not have"
        ),
    ])
    func mistakesAreErrorsWithTheirPosition(body: String, position: String, message: String) {
        let found = errors(Self.header + body)
        #expect(found.contains { "\($0.location)" == position && $0.message.contains(message) }, "\(found)")
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        let found = errors(
            Self.header + """
                rules:
                  - { name: a, action: nope, effect: allow }
                  - { name: b, action: refund, effect: maybe }
                """)
        #expect(found.count == 2)
        #expect(found.map(\.location.line) == [8, 9])
    }

    @Test func anchorsAndAliasesAreRefused() {
        let bomb = """
            version: 1
            actions: { refund: {} }
            a: &a [x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
            e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
            f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
            rules: *f
            """
        let found = errors(bomb)
        #expect(
            found.map(\.description) == [
                "4:8: aliases (*name) are not allowed in a policy: write the value out (quote a string that starts with *)"
            ])
    }

    @Test func aDocumentWithTooManyNodesIsRefusedBeforeYAMLReadsIt() {
        // The unclosed list at the end is never read: the count refuses the file first.
        let flat = "version: 1\nrules:\n" + String(repeating: "  - 1\n", count: 200_000) + "  - [unclosed\n"
        #expect(
            errors(flat).map(\.description) == [
                "199997:3: the policy could hold more than 200000 YAML nodes (counted from its lines and its - ? : , [ { } marks before it is read); split it or simplify it"
            ])
    }

    @Test func deepNestingIsRefusedQuickly() {
        let deep = "version: 1\nactions: { a: {} }\nrules: " + String(repeating: "[", count: 90_000) + String(repeating: "]", count: 90_000)
        let found = errors(deep)
        #expect(found.first?.message.contains("nested too deeply") == true)
        let deepConditions =
            "version: 1\nactions: { a: {} }\nrules:\n  - { name: r, action: a, effect: allow, when: "
            + String(repeating: "{ not: ", count: 40) + "{ subject.sub: x }" + String(repeating: " }", count: 40) + " }\n"
        #expect(errors(deepConditions).contains { $0.message.contains("nested more than 32 levels") })
    }

    @Test(arguments: ["", "[]", "version: 1", "\"just a string\"", "version: 2\nactions: {a: {}}\nrules: []", "--- a\n--- b"])
    func documentsThatAreNotPoliciesAreRefused(yaml: String) {
        #expect(!errors(yaml).isEmpty)
    }

    @Test func plainNumbersAreExactAndYAMLOneOneBooleansAreStrings() throws {
        let policy = try PolicyParser.parse(
            Self.header + """
                rules:
                  - { name: r, action: refund, when: { context.amount: { lte: 100.0000000000000001 } }, effect: allow, grant: { one_time: true } }
                  - { name: s, action: delete_user, when: { subject.org: yes }, effect: allow }
                """)
        guard case .test(let t) = policy.rules[0].condition, case .lte(let bound) = t.op else {
            Issue.record("not a test")
            return
        }
        #expect(bound > ExactDecimal(100))
        guard case .test(let u) = policy.rules[1].condition, case .eq(let value) = u.op else {
            Issue.record("not a test")
            return
        }
        #expect(value == .string("yes"))
    }
}

extension PolicyParserTests {
    @Test func emptyValuesAndBareActionsAreNotMistakenForAliases() throws {
        let policy = try PolicyParser.parse(
            """
            version: 1
            actions:
              delete_user:
              refund:
                fields: { amount: number }
            rules:
              - name: r
                action: delete_user
                effect: allow
            """)
        #expect(policy.actions.map(\.name) == ["delete_user", "refund"])
    }
}

extension PolicyParserTests {
    @Test(arguments: [
        ("a: *x\n", "1:4"), ("- *x\n", "1:3"), ("a: [1, *x]\n", "1:8"), ("? *l6\n: 1\n", "1:3"), ("a: {b: *x}\n", "1:8"),
        ("a:\n  - b\n  - *x\n", "3:5"),
    ])
    func aliasesAreFoundBeforeYAMLExpandsThem(yaml: String, position: String) {
        #expect(YAMLAliasScanProbe.first(yaml) == position)
    }

    @Test(arguments: [
        "reason: a *b* c\n", "reason: \"*x\"\n", "reason: '*x, *y'\n", "a: b # *x\n", "d: |\n  - *x\n  *y\n",
        "glob: https://x/*\n", "a: 3*4\n", "a:*b\n",
    ])
    func starsThatAreTextAreNotAliases(yaml: String) {
        #expect(YAMLAliasScanProbe.first(yaml) == nil)
    }
}

extension PolicyParserTests {
    @Test func twoErrorsAtOnePositionComeInTheOrderOfTheirMessages() {
        let found = errors(
            """
            version: 1
            actions: { refund: {} }
            rules:
              - name: r
            """)
        #expect(
            found.map(\.description) == [
                "4:5: rule r needs action: NAME (or a list of names)",
                "4:5: rule r needs an effect: allow, deny, approve or step_up",
            ])
        let reversed = PolicyLoadError(file: "p.yaml", errors: found.reversed())
        #expect(reversed.errors == found)
    }

    @Test func namesInMessagesCannotForgeAnotherLine() {
        #expect {
            try PolicyParser.parse("version: 1\nactions: { \"zz\\nforged.yaml:1:1: fine\": {} }\nrules: []\n", file: "p.yaml")
        } throws: { error in
            let text = "\(error)"
            return !text.contains("\n") && text.contains("zz\\nforged")
        }
    }

    @Test func explicitTagsAreRefused() {
        #expect {
            try PolicyParser.parse(
                "version: 1\nactions: { a: {} }\nrules:\n  - { name: r, action: a, effect: allow, when: { context.x: { lte: !!str 100 } } }\n"
            )
        } throws: { error in
            "\(error)".contains("explicit YAML tags (such as !!str) are not allowed")
        }
    }
}
