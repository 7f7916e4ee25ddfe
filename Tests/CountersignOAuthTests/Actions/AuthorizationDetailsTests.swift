import CountersignCore
import Testing

@testable import CountersignOAuth

/// RFC 9396 authorization_details read against the bundled policy, and several decisions combined.
@Suite struct AuthorizationDetailsTests {
    let policy = OAuthFixture.FixedPolicy.example.currentPolicy!

    func refused(_ text: String) -> String? {
        do {
            _ = try AuthorizationDetails.parse(text, policy: policy)
            return nil
        } catch {
            #expect(error.code == .invalidAuthorizationDetails)
            return error.description
        }
    }

    @Test func anEntryBecomesAnActionWithItsContext() throws {
        let text = #"[{"type":"refund","locations":["https://api.example.com/payments/p-1"],"amount":100.0000000000000001,"currency":"EUR"}]"#
        let actions = try AuthorizationDetails.parse(text, policy: policy)
        #expect(actions.count == 1)
        #expect(actions[0].action == "refund" && actions[0].locations == ["https://api.example.com/payments/p-1"])
        #expect(actions[0].context["amount"] == .number(try ExactDecimal(literal: "100.0000000000000001")))
        #expect(actions[0].context["locations"] == nil && actions[0].context["type"] == nil)
    }

    @Test func everyRefusalNamesTheEntryAndField() {
        #expect(refused(#"[{"type":"refund","amount":1,"currency":"EUR","locations":["https://api.example.com/payments/1"]},{"type":"refund","amount":true,"currency":"EUR","locations":["https://api.example.com/payments/1"]}]"#)
            == "authorization_details[1].amount: refund field amount must be number, not boolean")
        #expect(refused(#"[{"type":"delete_user","locations":["https://api.example.com/payments/1"]}]"#)
            == "authorization_details[0].locations: ?https://api.example.com/payments/1? is not a resource of delete_user (https://api.example.com/users/*)")
        #expect(refused(String(repeating: "[", count: 50) + String(repeating: "]", count: 50))?.hasPrefix("authorization_details is not valid JSON") == true)
        #expect(refused(#"[{"type":"refund","amount":1,"currency":"EUR","locations":["https://api.example.com/payments/1#x"]}]"#)
            == "authorization_details[0].locations must hold absolute URIs without a fragment")
    }

    @Test func anActionOnAResourceNeedsLocations() {
        #expect(refused(#"[{"type":"refund","amount":1,"currency":"EUR"}]"#)
            == "authorization_details[0].locations is required: refund acts on a resource (https://api.example.com/payments/*)")
    }

    @Test func scopeActions() throws {
        #expect(try AuthorizationDetails.fromScope("read", policy: policy) == nil)
        #expect(try AuthorizationDetails.fromScope("rotate_api_key", policy: policy)?.detail == ["type": "rotate_api_key"])
        #expect(throws: OAuthError.self) { try AuthorizationDetails.fromScope("refund", policy: policy) }
        #expect(throws: OAuthError.self) { try AuthorizationDetails.fromScope("read_transaction", policy: policy) }
    }

    func decide(_ action: String, _ context: [String: PolicyValue], roles: [PolicyValue] = ["employee"], acr: String? = nil)
        throws -> Decision
    {
        var claims: [String: PolicyValue] = ["roles": .list(roles)]
        if let acr { claims["acr"] = .string(acr) }
        claims["auth_time"] = .number(ExactDecimal(1_767_614_300))
        return try PolicyEvaluator(policy: policy).decide(
            DecisionRequest(
                subject: .init(sub: "alice", claims: claims), client: .init(id: "app"), action: action, context: context,
                time: 1_767_614_400))
    }

    @Test func combiningSeveralActions() throws {
        let small = try decide("refund", ["amount": 10, "currency": "EUR"])
        let large = try decide("refund", ["amount": 500, "currency": "EUR"])
        let huge = try decide("refund", ["amount": 50000, "currency": "EUR"], acr: "pwd")
        let denied = try decide("refund", ["amount": 10, "currency": "XXX"])
        let read = try decide("read_transaction", [:])
        #expect(Decision.combine([small, read], policy: policy).outcome == .allow)
        let both = Decision.combine([small, read], policy: policy).requirements.grant
        #expect(both.ttl == 60 && both.oneTime && both.reuse == nil, "shortest TTL, one-time if any, no reuse then")
        #expect(Decision.combine([read, read], policy: policy).requirements.grant.reuse == 60)
        #expect(Decision.combine([small, large], policy: policy).outcome == .approve)
        #expect(Decision.combine([large, huge], policy: policy).outcome == .stepUp)
        #expect(Decision.combine([large, huge, denied, read], policy: policy).outcome == .deny)
        #expect(Decision.combine([denied], policy: policy).reason == "Refunds are possible in EUR, USD and GBP only.")
        let approvals = Decision.combine([large, large], policy: policy).requirements.approvals
        #expect(approvals.count == 1 && approvals[0].quorum == 2)
    }

    @Test func authReqIDsCarry160Bits() {
        let ids = (0..<100).map { _ in TokenID.generateLong() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { Base64URL.decode($0.utf8)?.count == 20 })
    }
}
