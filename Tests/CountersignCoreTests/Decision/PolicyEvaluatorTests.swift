import CountersignCore
import Testing

/// The decision: deny wins, otherwise the strictest requirements of every matching rule,
/// otherwise the default; exact numbers; missing values never match; type errors are errors.
@Suite struct PolicyEvaluatorTests {
    static let policyText = """
        version: 1
        acr_levels: [pwd, mfa, phr]
        groups:
          finance: { claim: groups, value: finance }
          security: { members: [carol, dave, erin] }
        actions:
          refund: { fields: { amount: number, currency: string, note: string? } }
          delete_user: {}
          open: {}
        rules:
          - { name: cap, action: refund, when: { context.amount: { lte: 100 } }, effect: allow, grant: { ttl: 5m, reuse: 60s } }
          - { name: cap-short, action: refund, when: { context.amount: { lte: 10 } }, effect: allow, grant: { ttl: 60s, reuse: 30s } }
          - { name: big, action: refund, when: { context.amount: { gt: 100 } }, effect: approve,
              approval: { group: finance, quorum: 1, expires_in: 1h }, step_up: { acr: mfa } }
          - { name: bigger, action: refund, when: { context.amount: { gt: 1000 } }, effect: approve,
              approval: { group: finance, quorum: 2, expires_in: 30m, reason_required: true }, step_up: { acr: phr, max_age: 10m } }
          - { name: sec, action: refund, when: { context.amount: { gt: 5000 } }, effect: approve, approval: { group: security } }
          - { name: no-eur-cents, action: refund, when: { context.currency: { ne: EUR } }, effect: deny, reason: EUR only. }
          - { name: no-guests, action: [refund, delete_user], when: { subject.roles: { contains: guest } }, effect: deny }
          - { name: admins-delete, action: delete_user, when: { all: [ { subject.roles: { contains: admin } }, { not: { subject.org: { eq: acme } } } ] }, effect: allow, grant: { one_time: true } }
          - { name: nobody-at-night, action: delete_user, when: { context.hour: { gte: 22 } }, effect: deny }
        default: deny
        """

    let policy: Policy
    let evaluator: PolicyEvaluator

    init() throws {
        policy = try PolicyParser.parse(Self.policyText)
        evaluator = PolicyEvaluator(policy: policy)
    }

    func request(
        _ action: String = "refund", amount: String? = nil, currency: String = "EUR", roles: [String] = [],
        claims: [String: PolicyValue] = [:], context: [String: PolicyValue] = [:]
    ) throws -> DecisionRequest {
        var ctx = context
        if let amount { ctx["amount"] = .number(try ExactDecimal(literal: amount)) }
        if action == "refund" { ctx["currency"] = ctx["currency"] ?? .string(currency) }
        var c = claims
        c["roles"] = .list(roles.map(PolicyValue.string))
        return DecisionRequest(
            subject: .init(sub: "alice", claims: c), client: .init(id: "app"), action: action, context: ctx, time: 1_767_614_400)
    }

    func names(_ d: Decision) -> Set<String> { Set(d.matchedRules.map { policy.rules[$0].name }) }

    @Test func theShortestTTLAndReuseApply() throws {
        let d = try evaluator.decide(request(amount: "5"))
        #expect(d.outcome == .allow)
        #expect(names(d) == ["cap", "cap-short"])
        #expect(d.requirements.grant == GrantTerms(ttl: 60, oneTime: false, reuse: 30))
    }

    @Test func requirementsCombineToTheStrictest() throws {
        let d = try evaluator.decide(request(amount: "6000", claims: ["acr": "phr", "auth_time": 1_767_614_000]))
        #expect(d.outcome == .approve)
        #expect(names(d) == ["big", "bigger", "sec"])
        #expect(
            d.requirements.approvals == [
                ApprovalRequirement(approver: .group("finance"), quorum: 2, expiresIn: 1800, reasonRequired: true),
                ApprovalRequirement(approver: .group("security"), quorum: 1, expiresIn: 900, reasonRequired: false),
            ])
        #expect(d.requirements.stepUp == StepUpRequirement(acr: "phr", maxAge: 600))
        #expect(d.requirements.grant.reuse == nil)
    }

    @Test func stepUpComesBeforeApprovalWhileAuthenticationFallsShort() throws {
        #expect(try evaluator.decide(request(amount: "500", claims: ["acr": "pwd"])).outcome == .stepUp)
        #expect(try evaluator.decide(request(amount: "500")).outcome == .stepUp)
        #expect(try evaluator.decide(request(amount: "500", claims: ["acr": "mfa"])).outcome == .approve)
        #expect(try evaluator.decide(request(amount: "500", claims: ["acr": "phr"])).outcome == .approve)
        // max_age 10m: authenticated 20 minutes ago is stale; in the future is not "recent".
        #expect(try evaluator.decide(request(amount: "2000", claims: ["acr": "phr", "auth_time": 1_767_613_200])).outcome == .stepUp)
        #expect(try evaluator.decide(request(amount: "2000", claims: ["acr": "phr", "auth_time": 1_767_699_999])).outcome == .stepUp)
    }

    @Test func anyMatchingDenyWinsWithEveryReason() throws {
        let d = try evaluator.decide(request(amount: "5", currency: "USD", roles: ["guest"]))
        #expect(d.outcome == .deny)
        #expect(names(d) == ["cap", "cap-short", "no-eur-cents", "no-guests"])
        #expect(d.reason == "EUR only. denied by rule no-guests")
        #expect(d.requirements == Requirements())
    }

    @Test func noMatchingRuleIsTheDefault() throws {
        let d = try evaluator.decide(request("open"))
        #expect(d.outcome == .deny)
        #expect(d.reason == "No rule allows open for this request.")
        #expect(d.matchedRules.isEmpty)
        #expect(evaluator.trace(try request("open")).isEmpty)
        let lenient = try PolicyParser.parse("version: 1\nactions: { open: {} }\nrules: []\ndefault: allow\n")
        #expect(try PolicyEvaluator(policy: lenient).decide(request("open")).outcome == .allow)
    }

    @Test func anUnknownActionIsDenied() throws {
        let d = try evaluator.decide(request("wire_money"))
        #expect(d.outcome == .deny)
        #expect(d.reason == "wire_money is not an action of this policy")
    }

    /// No number form rounds across `lte: 100`.
    @Test(arguments: [
        ("100", true), ("100.0", true), ("1e2", true), ("1E+2", true), ("100.0000000000000001", false), ("-0", true),
        ("1e309", false), ("9223372036854775808", false), ("99.999999999999999999999", true), ("100.00000000000000000000000001", false),
    ])
    func numbersCompareExactly(literal: String, allowed: Bool) throws {
        let json = try JSONParser().parse("{\"amount\": \(literal), \"currency\": \"EUR\"}")
        guard case .object(let members) = try PolicyValue(json: json) else { throw CancellationError() }
        let d = try evaluator.decide(request(context: members))
        #expect((d.outcome == .allow) == allowed)
    }

    @Test func aNumberAsAStringIsAnErrorNotANonMatch() throws {
        #expect(throws: DecisionError.self) { try evaluator.decide(request(context: ["amount": "100"])) }
        let refund = try #require(policy.action(named: "refund"))
        #expect(throws: ContextFieldError(field: "amount", message: "refund field amount must be number, not string")) {
            try refund.validate(context: ["amount": "100", "currency": "EUR"])
        }
        #expect(throws: ContextFieldError(field: "currency", message: "refund requires the field currency (string)")) {
            try refund.validate(context: ["amount": 5])
        }
        #expect(throws: ContextFieldError(field: "iban", message: "refund has no field iban")) {
            try refund.validate(context: ["amount": 5, "currency": "EUR", "iban": "x"])
        }
        try refund.validate(context: ["amount": 5, "currency": "EUR"])
    }

    @Test func aMissingValueNeverMatchesAPositiveTest() throws {
        // No amount: neither lte 100 nor gt 100 holds, so nothing allows.
        let d = try evaluator.decide(request())
        #expect(d.outcome == .deny)
        #expect(d.matchedRules.isEmpty)
        // A missing org does not equal acme, so not(eq acme) holds for an admin without an org.
        #expect(try evaluator.decide(request("delete_user", roles: ["admin"])).outcome == .allow)
        #expect(try evaluator.decide(request("delete_user", roles: ["admin"], claims: ["org": "acme"])).outcome == .deny)
        // A missing hour never triggers the night-time deny; a present one does.
        #expect(try evaluator.decide(request("delete_user", roles: ["admin"], context: ["hour": 23])).outcome == .deny)
    }

    @Test func aSingleStringClaimCountsAsAOneElementListNeverASubstring() throws {
        var r = try request("delete_user")
        r.subject.claims["roles"] = "admin"
        #expect(try evaluator.decide(r).outcome == .allow)
        r.subject.claims["roles"] = "superadmin"
        #expect(try evaluator.decide(r).outcome == .deny)
    }

    @Test func theExplanationNamesTheFailedConditionAndTheValueSeen() throws {
        let r = try request(amount: "250", claims: ["acr": "mfa"])
        let d = try evaluator.decide(r)
        let e = Explanation(decision: d, request: r, policy: policy)
        let cap = try #require(e.rules.first { $0.rule == "cap" })
        #expect(!cap.matched)
        #expect(cap.failedCondition == "context.amount lte 100")
        #expect(cap.seen == "250")
        let guests = try #require(e.rules.first { $0.rule == "no-guests" })
        #expect(guests.seen == "[]")
        #expect(e.rules.map(\.rule) == ["cap", "cap-short", "big", "bigger", "sec", "no-eur-cents", "no-guests"])
        #expect(e.text.contains("✗ cap (allow, line 11) did not match: context.amount lte 100 (line 11), seen 250"))
    }

    @Test func onlyTheRequestedActionsRulesAreConsidered() throws {
        let d = try evaluator.decide(request("delete_user", roles: ["admin"]))
        #expect(names(d) == ["admins-delete"])
        #expect(
            evaluator.trace(try request("delete_user", roles: ["admin"])).map { policy.rules[$0.rule].name } == [
                "no-guests", "admins-delete", "nobody-at-night",
            ])
    }
}

extension PolicyEvaluatorTests {
    @Test func resourcesAndFieldsAreCheckedAgainstTheAction() throws {
        let policy = try PolicyParser.parse(
            """
            version: 1
            actions:
              refund: { resource: "https://api.example.com/payments/*", fields: { amount: number, tags: "[string]?" } }
            rules: []
            """)
        let refund = try #require(policy.action(named: "refund"))
        #expect(try refund.resourceLocation("HTTPS://api.example.com/payments/p-1").uri == "https://api.example.com/payments/p-1")
        #expect(
            throws: ContextFieldError(
                field: "resource",
                message: "\"https://api.example.com/payments/p-1/../../admin\" has a dot segment (. or ..) in its path")
        ) { try refund.resourceLocation("https://api.example.com/payments/p-1/../../admin") }
        #expect(
            throws: ContextFieldError(
                field: "resource",
                message: "\"https://api.example.com/admin/p-1\" is not a resource of refund (https://api.example.com/payments/*)")
        ) { try refund.resourceLocation("https://api.example.com/%61dmin/p-1") }
        try refund.validate(context: ["amount": 5, "tags": .null])
        #expect(throws: ContextFieldError(field: "tags", message: "refund field tags must be [string]?: item 1 is a number")) {
            try refund.validate(context: ["amount": 5, "tags": ["a", 1]])
        }
    }

    @Test func outOfRangeNumbersInAPolicyAreErrors() {
        #expect {
            try PolicyParser.parse(
                "version: 1\nactions: { a: {} }\nrules:\n  - { name: r, action: a, effect: allow, when: { context.x: { lte: 1e9999 } } }\n")
        } throws: { error in
            (error as? PolicyLoadError)?.errors.first?.message.hasPrefix("the number 1e9999 is out of range") == true
        }
    }
}
