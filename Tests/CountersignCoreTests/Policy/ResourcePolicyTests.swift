import CountersignCore
import Testing

/// What a policy says about resources: `resource_query`, and patterns written in the normal
/// form locations are compared in (POLICY.md §3), so no rule silently never matches.
@Suite struct ResourcePolicyTests {
    func errors(_ yaml: String) -> [String] {
        do {
            _ = try PolicyParser.parse(yaml, file: "p.yaml")
            return []
        } catch {
            return error.errors.map { "\($0.location): \($0.message)" }
        }
    }

    @Test func anActionMayAcceptLocationsWithAQuery() throws {
        let policy = try PolicyParser.parse(
            """
            version: 1
            actions:
              search: { resource: "https://api.example.com/search*", resource_query: true }
              refund: { resource: "https://api.example.com/payments/*" }
            rules: []
            """)
        let search = try #require(policy.action(named: "search"))
        #expect(search.resourceQuery)
        #expect(try search.resourceLocation("https://api.example.com/search?q=%7e1").uri == "https://api.example.com/search?q=~1")
        let refund = try #require(policy.action(named: "refund"))
        #expect(!refund.resourceQuery)
        #expect(
            throws: ContextFieldError(
                field: "resource",
                message: #""https://api.example.com/payments/p-1?x=1" has a query (?...): the action does not declare resource_query: true"#
            )
        ) { try refund.resourceLocation("https://api.example.com/payments/p-1?x=1") }
    }

    @Test(arguments: [
        ("resource_query: yes", "4:68", #"resource_query of search must be true or false (found the string "yes")"#),
        ("resource_query: 1", "4:68", "resource_query of search must be true or false (found 1)"),
        ("resource_query: \"true\"", "4:68", #"resource_query of search must be true or false (found the string "true")"#),
        (
            "resource_quer: true", "4:52",
            "unknown key resource_quer in action search (did you mean resource_query?); allowed: description, resource, resource_query, fields"
        ),
    ])
    func aBadResourceQueryIsAnErrorAtItsPosition(_ member: String, _ position: String, _ message: String) {
        let yaml = """
            version: 1
            rules: []
            actions:
              search: { resource: "https://api.example.com/*", \(member) }
            """
        #expect(errors(yaml) == ["\(position): \(message)"])
    }

    @Test(arguments: [
        (
            #"actions: { refund: { resource: "https://API.example.com/payments/*" } }"#, "2:32",
            #"resource of refund "https://API.example.com/payments/*" can never match a location: locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/payments/*""#
        ),
        (
            #"actions: { refund: { resource: "https://api.example.com/a/../*" } }"#, "2:32",
            #"resource of refund "https://api.example.com/a/../*" can never match a location: its fixed part "https://api.example.com/a/../" has a dot segment (. or ..) in its path, which no location has"#
        ),
        (
            #"actions: { refund: {} }"#
                + "\nrules: [{ name: r, action: refund, effect: deny, when: { resource: { glob: \"https://api.example.com:443/payments/%76ip-*\" } } }]",
            "3:76",
            #"resource glob "https://api.example.com:443/payments/%76ip-*" can never match a location: locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/payments/vip-*""#
        ),
        (
            #"actions: { refund: {} }"#
                + "\nrules: [{ name: r, action: refund, effect: deny, when: { resource: { eq: \"https://api.example.com\" } } }]",
            "3:74",
            #"resource eq "https://api.example.com" can never match a location: locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/""#
        ),
        (
            #"actions: { refund: {} }"#
                + "\nrules: [{ name: r, action: refund, effect: deny, when: { resource: { in: [\"https://api.example.com/x\", \"HTTPS://api.example.com/y\"] } } }]",
            "3:74",
            #"resource in "HTTPS://api.example.com/y" can never match a location: locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/y""#
        ),
    ])
    func aResourcePatternNotInNormalFormIsAnError(_ body: String, _ position: String, _ message: String) {
        let yaml = "version: 1\n" + body + (body.contains("rules:") ? "" : "\nrules: []")
        #expect(errors(yaml) == ["\(position): \(message)"])
    }

    @Test func aPolicyTestDecidesOnTheNormalForm() throws {
        let policy = try PolicyParser.parse(
            """
            version: 1
            actions:
              refund: { resource: "https://api.example.com/payments/*" }
            rules:
              - { name: vip-never, action: refund, when: { resource: { glob: "https://api.example.com/payments/vip-*" } }, effect: deny }
              - { name: refunds, action: refund, effect: allow }
            tests:
              - name: an encoded v is still a vip
                request: { subject: alice, action: refund, resource: "https://api.example.com/payments/%76ip-1" }
                expect: { outcome: deny, rules: [vip-never, refunds] }
              - name: a dot segment is refused
                request: { subject: alice, action: refund, resource: "https://api.example.com/payments/vip-1/../p-1" }
                expect: { error: "has a dot segment" }
            """)
        let results = PolicyTestRunner(policy: policy).run()
        let failures = results.flatMap(\.failures)
        #expect(results.count == 2 && failures.isEmpty, "\(failures)")
    }
}
