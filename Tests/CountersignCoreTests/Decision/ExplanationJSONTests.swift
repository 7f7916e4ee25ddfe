import CountersignCore
import Foundation
import Testing

/// `Explanation.writeCanonicalJSON` writes what a decision's audit event carries without
/// building the JSON value: its bytes must be exactly the RFC 8785 form of `Explanation.json`,
/// or the explanation an auditor reads back would differ from the one the server hashed.
@Suite struct ExplanationJSONTests {
    static func written(_ explanation: Explanation) -> [UInt8] {
        var out: [UInt8] = []
        explanation.writeCanonicalJSON(into: &out)
        return out
    }

    /// Every kind of requirement and rule line: approvals by group and by the subject, a deny
    /// quorum, a required reason, step-up with acr, max_age or both, reuse, TTL, a deny reason,
    /// and values that need escaping.
    static let policy = """
        version: 1
        acr_levels: [pwd, mfa]
        groups:
          security: { members: [carol, dave] }
          fin.ance: { claim: groups, value: finance }
        actions:
          refund: { fields: { amount: number, note: string } }
        rules:
          - name: never-notes
            action: refund
            when: { context.note: { eq: "never" } }
            effect: deny
            reason: "No \\"never\\" notes; ünïcode too."
          - name: by-group
            action: refund
            when: { context.amount: { gt: 10 } }
            effect: approve
            approval: { group: fin.ance, quorum: 2, deny_quorum: 2, expires_in: 15m, reason_required: true }
            grant: { ttl: 5m, one_time: true }
          - name: by-security
            action: refund
            when: { context.amount: { gt: 20 } }
            effect: approve
            approval: { group: security, quorum: 1, expires_in: 1h }
          - name: by-subject
            action: refund
            when: { context.amount: { gt: 30 } }
            effect: approve
            approval: { subject: true, expires_in: 10m }
          - name: acr-only
            action: refund
            when: { context.amount: { gt: 40 } }
            effect: step_up
            step_up: { acr: mfa }
          - name: age-only
            action: refund
            when: { context.amount: { gt: 50 } }
            effect: step_up
            step_up: { max_age: 5m }
          - name: reusable
            action: refund
            when: { context.amount: { lte: 10 } }
            effect: allow
            grant: { ttl: 2m, reuse: 60s }
        """

    @Test(arguments: [5, 15, 25, 35, 45, 55, 60])
    func theWrittenExplanationIsTheCanonicalFormOfItsJSON(amount: Int) throws {
        let policy = try PolicyParser.parse(Self.policy)
        for note in ["ok", "never", "é\"\\\n\u{1F600}"] {
            let request = DecisionRequest(
                subject: .init(sub: "alice", claims: ["groups": ["finance"]]), client: .init(id: "app"), action: "refund",
                context: ["amount": .number(ExactDecimal(Int64(amount))), "note": .string(note)], time: 1_767_614_400)
            let decision = try PolicyEvaluator(policy: policy).decide(request)
            let explanation = Explanation(decision: decision, request: request, policy: policy)
            #expect(Self.written(explanation) == CanonicalJSON.bytes(explanation.json), "amount \(amount), note \(note)")
        }
    }

    @Test func everyTestCaseOfTheExamplePolicyWritesItsCanonicalForm() throws {
        let example = try PolicyParser.parse(try String(contentsOfFile: PolicyParserTests.examplePath, encoding: .utf8))
        #expect(example.tests.count > 10)
        for test in example.tests {
            guard let decision = try? PolicyEvaluator(policy: example).decide(test.request) else { continue }
            let explanation = Explanation(decision: decision, request: test.request, policy: example)
            #expect(Self.written(explanation) == CanonicalJSON.bytes(explanation.json), "\(test.name)")
        }
    }

    /// A record with a rendered member stores and hashes exactly what the same record built from
    /// the JSON value would, and reads its data back.
    @Test func aRecordWithARenderedMemberIsTheRecordOfTheWholeValue() throws {
        let policy = try PolicyParser.parse(Self.policy)
        let request = DecisionRequest(
            subject: .init(sub: "alice"), client: .init(id: "app"), action: "refund",
            context: ["amount": 45, "note": "x"], time: 0)
        let explanation = Explanation(decision: try PolicyEvaluator(policy: policy).decide(request), request: request, policy: policy)
        let data: [String: JSONValue] = [
            "sub": "alice", "n": .number(JSONNumber(literal: "1.0")!), "zz": .null, "ip": .string("10.0.0.1"),
        ]
        var whole = data
        whole["explanation"] = .array([explanation.json])
        let reference = AuditRecord(type: "decision", actor: "user:alice", data: whole)
        let rendered = AuditRecord(
            type: "decision", actor: "user:alice", data: data,
            rendered: [("explanation", Array("[".utf8) + Self.written(explanation) + Array("]".utf8))])
        #expect(rendered.storedData == reference.storedData)
        #expect(rendered.canonicalData == reference.canonicalData)
        #expect(rendered.data == reference.data)
        #expect(rendered == reference)
        let a = AuditEvent.sealed(seq: 3, time: Instant(millisecondsSince1970: 9), record: rendered, previousHash: AuditEvent.genesisHash)
        let b = AuditEvent.sealed(seq: 3, time: Instant(millisecondsSince1970: 9), record: reference, previousHash: AuditEvent.genesisHash)
        #expect(a.hash == b.hash)
        #expect(a.hash == a.computedHash)
    }
}
