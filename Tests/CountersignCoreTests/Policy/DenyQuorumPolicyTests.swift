import CountersignCore
import Testing

/// `approval: { deny_quorum: N }`: how many distinct eligible denials end a request. Checked at
/// load with the position of the offending value, and expressible in a policy's own tests.
@Suite struct DenyQuorumPolicyTests {
    static let header = """
        version: 1
        groups:
          security: { members: [carol, dave] }
          finance-leads: { claim: groups, value: finance-leads }
        actions:
          refund: {}
        rules:
          - name: r
            action: refund
            effect: approve

        """

    func errors(_ yaml: String) -> [String] {
        do {
            _ = try PolicyParser.parse(yaml, file: "p.yaml")
            Issue.record("the policy loaded")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    func approval(_ policy: Policy) -> ApprovalRequirement? { policy.rules.first?.approval }

    @Test(arguments: [
        ("0", "deny_quorum must be a whole number from 1 to 100 (found 0)"),
        ("-1", "deny_quorum must be a whole number from 1 to 100 (found -1)"),
        ("1.5", "deny_quorum must be a whole number from 1 to 100 (found 1.5)"),
        ("101", "deny_quorum must be a whole number from 1 to 100 (found 101)"),
        ("\"2\"", "deny_quorum must be a whole number from 1 to 100 (found the string \"2\")"),
        ("two", "deny_quorum must be a whole number from 1 to 100 (found the string \"two\")"),
        ("true", "deny_quorum must be a whole number from 1 to 100 (found true)"),
        ("~", "deny_quorum must be a whole number from 1 to 100 (found nothing)"),
        ("[2]", "deny_quorum must be a single value (found a list)"),
    ])
    func aBadDenyQuorumIsRefusedAtItsValue(value: String, message: String) {
        let found = errors(Self.header + "    approval: { group: finance-leads, quorum: 2, deny_quorum: \(value) }\n")
        #expect(found == ["11:63: \(message)"])
    }

    @Test func aDenyQuorumAStaticGroupCanNeverReachIsRefused() {
        let found = errors(Self.header + "    approval: { group: security, deny_quorum: 3 }\n")
        #expect(found == ["11:47: group security has 2 member(s), so a deny_quorum of 3 can never be reached"])
    }

    @Test func theOwnersOwnConfirmationTakesNoDenyQuorum() throws {
        let found = errors(Self.header + "    approval: { subject: true, deny_quorum: 2 }\n")
        #expect(
            found == [
                "11:45: approval by the subject has one approver, whose deny always ends the request: deny_quorum must be 1 (or left out)"
            ])
        let one = try PolicyParser.parse(Self.header + "    approval: { subject: true, deny_quorum: 1 }\n")
        #expect(approval(one) == ApprovalRequirement(approver: .subject, denyQuorum: 1))
    }

    @Test func aMisspeltDenyQuorumIsAnUnknownKeyWithASuggestion() {
        let found = errors(Self.header + "    approval: { group: finance-leads, deny_qourum: 2 }\n")
        #expect(
            found == [
                "11:39: unknown key deny_qourum in approval of r (did you mean deny_quorum?); allowed: group, subject, quorum, deny_quorum, expires_in, reason_required"
            ])
    }

    @Test func oneDenyEndsARequestUnlessTheRuleSaysOtherwise() throws {
        let plain = try PolicyParser.parse(Self.header + "    approval: { group: finance-leads, quorum: 2 }\n")
        #expect(approval(plain)?.denyQuorum == 1)
        let two = try PolicyParser.parse(Self.header + "    approval: { group: finance-leads, quorum: 2, deny_quorum: 2 }\n")
        #expect(approval(two) == ApprovalRequirement(approver: .group("finance-leads"), quorum: 2, denyQuorum: 2))
    }

    @Test func aDenyQuorumMayExceedTheQuorum() throws {
        let policy = try PolicyParser.parse(Self.header + "    approval: { group: security, quorum: 1, deny_quorum: 2 }\n")
        #expect(approval(policy) == ApprovalRequirement(approver: .group("security"), quorum: 1, denyQuorum: 2))
    }

    static let withTests =
        header + """
                approval: { group: finance-leads, quorum: 2, deny_quorum: 2 }
            tests:
              - name: t
                request: { subject: alice, action: refund }

            """

    @Test func aPolicyTestComparesTheDenyQuorum() throws {
        let passing = try PolicyParser.parse(
            Self.withTests + "    expect: { outcome: approve, approval: { group: finance-leads, quorum: 2, deny_quorum: 2 } }\n")
        #expect(PolicyTestRunner(policy: passing).run().map(\.failures) == [[]])
        let failing = try PolicyParser.parse(
            Self.withTests + "    expect: { outcome: approve, approval: { group: finance-leads, deny_quorum: 1 } }\n")
        #expect(PolicyTestRunner(policy: failing).run().map(\.failures) == [["expected deny_quorum 1 of group finance-leads, got 2"]])
    }

    @Test func aPolicyTestsExpectedDenyQuorumIsCheckedLikeTheRules() {
        let found = errors(Self.withTests + "    expect: { outcome: approve, approval: { group: finance-leads, deny_quorum: 0 } }\n")
        #expect(found == ["15:80: deny_quorum must be a whole number from 1 to 100 (found 0)"])
    }

    @Test func theExplanationStatesADenyQuorumAboveOne() throws {
        for (line, denyQuorum) in [("quorum: 2, deny_quorum: 2", 2), ("quorum: 2", 1)] {
            let policy = try PolicyParser.parse(Self.header + "    approval: { group: finance-leads, \(line) }\n")
            let request = DecisionRequest(subject: .init(sub: "alice"), client: .init(id: "app"), action: "refund", time: 0)
            let decision = try PolicyEvaluator(policy: policy).decide(request)
            let explanation = Explanation(decision: decision, request: request, policy: policy)
            let shown = denyQuorum > 1 ? ", 2 denials to refuse" : ""
            #expect(explanation.text.contains("requires approval by group finance-leads (quorum 2\(shown), expires in 900s)"))
            let approvals = explanation.requirements.json.objectValue?["approvals"]?.arrayValue?.first?.objectValue
            #expect(approvals?["deny_quorum"] == (denyQuorum > 1 ? .number(JSONNumber(2)) : nil))
        }
    }
}
