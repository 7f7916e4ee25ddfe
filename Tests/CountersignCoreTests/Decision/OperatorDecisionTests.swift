import CountersignCore
import Testing

/// Every operator and every attribute root decides a real request: one action per case, one
/// allow rule, so a rule that matches allows and one that does not falls to the default deny.
@Suite struct OperatorDecisionTests {
    static let policyText = """
        version: 1
        actions:
          pay: { fields: { currency: string } }
          tagged: {}
          file: {}
          invoice: {}
          noted: {}
          unnoted: {}
          urgent: {}
          by_client: {}
          by_tier: {}
          payment: { resource: "https://api.example.com/**" }
          read: {}
          read_all: {}
          payee: {}
        rules:
          - { name: in, action: pay, when: { context.currency: { in: [EUR, USD] } }, effect: allow }
          - { name: contains-all, action: tagged, when: { subject.roles: { contains_all: [employee, finance] } }, effect: allow }
          - { name: glob, action: file, when: { context.path: { glob: ["reports/*.csv", "archive/**"] } }, effect: allow }
          - { name: regex, action: invoice, when: { context.ref: { regex: "^INV-[0-9]{4}$" } }, effect: allow }
          - { name: exists, action: noted, when: { context.note: { exists: true } }, effect: allow }
          - { name: not-exists, action: unnoted, when: { context.note: { exists: false } }, effect: allow }
          - name: any
            action: urgent
            when: { any: [ { subject.roles: { contains: admin } }, { context.amount: { lt: 10 } } ] }
            effect: allow
          - { name: client-id, action: by_client, when: { client.id: { eq: billing-app } }, effect: allow }
          - { name: client-tier, action: by_tier, when: { client.tier: { eq: gold } }, effect: allow }
          - { name: resource, action: payment, when: { resource: { glob: "https://api.example.com/payments/*" } }, effect: allow }
          - { name: action, action: [read, read_all], when: { action: { eq: read } }, effect: allow }
          - { name: nested, action: payee, when: { context.payee.country: { eq: DE } }, effect: allow }
        """

    let evaluator: PolicyEvaluator

    init() throws {
        evaluator = PolicyEvaluator(policy: try PolicyParser.parse(Self.policyText))
    }

    func decide(
        _ action: String, roles: [String]? = nil, client: DecisionRequest.Client = .init(id: "app"), resource: String? = nil,
        context: [String: PolicyValue] = [:]
    ) throws -> Decision.Outcome {
        var claims: [String: PolicyValue] = [:]
        if let roles { claims["roles"] = .list(roles.map(PolicyValue.string)) }
        let request = DecisionRequest(
            subject: .init(sub: "alice", claims: claims), client: client, action: action, resource: resource, context: context,
            time: 1_767_614_400)
        return try evaluator.decide(request).outcome
    }

    @Test(arguments: [("EUR", Decision.Outcome.allow), ("USD", .allow), ("GBP", .deny), ("eur", .deny)])
    func inAllowsOnlyTheListedValues(currency: String, outcome: Decision.Outcome) throws {
        #expect(try decide("pay", context: ["currency": .string(currency)]) == outcome)
    }

    @Test func inThrowsForAValueOfAnotherType() {
        #expect(throws: DecisionError.self) { try decide("pay", context: ["currency": 5]) }
    }

    @Test(arguments: [
        (["employee", "finance"], Decision.Outcome.allow), (["finance", "support", "employee"], .allow), (["employee"], .deny), ([], .deny),
    ])
    func containsAllNeedsEveryListedValue(roles: [String], outcome: Decision.Outcome) throws {
        #expect(try decide("tagged", roles: roles) == outcome)
    }

    @Test func containsAllWithoutTheClaimDoesNotMatch() throws {
        #expect(try decide("tagged") == .deny)
    }

    @Test(arguments: [
        ("reports/q1.csv", Decision.Outcome.allow), ("reports/q1.pdf", .deny), ("reports/2026/q1.csv", .deny),
        ("archive/2026/q1.pdf", .allow),
        ("other/q1.csv", .deny),
    ])
    func globMatchesTheWholeText(path: String, outcome: Decision.Outcome) throws {
        #expect(try decide("file", context: ["path": .string(path)]) == outcome)
    }

    @Test(arguments: [("INV-2026", Decision.Outcome.allow), ("xINV-2026", .deny), ("INV-20261", .deny), ("INV-20a6", .deny)])
    func regexDecidesByItsAnchors(ref: String, outcome: Decision.Outcome) throws {
        #expect(try decide("invoice", context: ["ref": .string(ref)]) == outcome)
    }

    @Test func globAndRegexThrowForANumber() {
        #expect(throws: DecisionError.self) { try decide("file", context: ["path": 5]) }
        #expect(throws: DecisionError.self) { try decide("invoice", context: ["ref": 2026]) }
    }

    @Test func existsTellsPresentFromMissing() throws {
        #expect(try decide("noted", context: ["note": "call back"]) == .allow)
        #expect(try decide("noted", context: ["note": 0]) == .allow)
        #expect(try decide("noted") == .deny)
        #expect(try decide("noted", context: ["note": .null]) == .deny)
        #expect(try decide("unnoted") == .allow)
        #expect(try decide("unnoted", context: ["note": "x"]) == .deny)
    }

    @Test func anyMatchesWhenOneBranchDoes() throws {
        #expect(try decide("urgent", roles: ["admin"], context: ["amount": 500]) == .allow)
        #expect(try decide("urgent", roles: ["support"], context: ["amount": 5]) == .allow)
        #expect(try decide("urgent", roles: ["support"], context: ["amount": 10]) == .deny)
        // Neither branch holds when both values are missing.
        #expect(try decide("urgent") == .deny)
    }

    @Test func clientIDAndClientAttributesAreRead() throws {
        #expect(try decide("by_client", client: .init(id: "billing-app")) == .allow)
        #expect(try decide("by_client", client: .init(id: "billing-app-2")) == .deny)
        #expect(try decide("by_tier", client: .init(id: "x", attributes: ["tier": "gold"])) == .allow)
        #expect(try decide("by_tier", client: .init(id: "x", attributes: ["tier": "silver"])) == .deny)
        #expect(try decide("by_tier", client: .init(id: "gold")) == .deny)
    }

    @Test func theResourceIsRead() throws {
        #expect(try decide("payment", resource: "https://api.example.com/payments/p-1") == .allow)
        #expect(try decide("payment", resource: "https://api.example.com/refunds/r-1") == .deny)
        #expect(try decide("payment") == .deny)
    }

    @Test func theActionIsRead() throws {
        #expect(try decide("read") == .allow)
        #expect(try decide("read_all") == .deny)
    }

    @Test func aNestedContextValueIsReadThroughItsObjects() throws {
        #expect(try decide("payee", context: ["payee": .object(["country": "DE"])]) == .allow)
        #expect(try decide("payee", context: ["payee": .object(["country": "FR"])]) == .deny)
        #expect(try decide("payee", context: ["payee": .object([:])]) == .deny)
        #expect(try decide("payee", context: ["payee": "DE"]) == .deny)
        #expect(try decide("payee", context: ["country": "DE"]) == .deny)
    }

    @Test func stringsCompareByTheirExactBytes() throws {
        let yaml = """
            version: 1
            actions: { a: {} }
            rules:
              - { name: r, action: a, effect: allow, when: { subject.sub: { eq: "jos\\u00e9" } } }
            """
        #expect(
            try PolicyEvaluator(policy: try PolicyParser.parse(yaml)).decide(
                DecisionRequest(subject: .init(sub: "jos\u{e9}"), client: .init(id: "c"), action: "a", time: 0)
            ).outcome == .allow)
        #expect(
            try PolicyEvaluator(policy: try PolicyParser.parse(yaml)).decide(
                DecisionRequest(subject: .init(sub: "jose\u{301}"), client: .init(id: "c"), action: "a", time: 0)
            ).outcome == .deny)
        #expect(PolicyValue.string("jos\u{e9}") != PolicyValue.string("jose\u{301}"))
    }
}
