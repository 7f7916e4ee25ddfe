/// Runs a policy's own tests (`countersign policy test`): each request is decided and the
/// decision compared with what the test expects; a failure carries the explanation.
public struct PolicyTestRunner: Sendable {
    /// The policy whose tests are run.
    public let policy: Policy

    /// A runner of `policy`'s own tests.
    public init(policy: Policy) {
        self.policy = policy
    }

    /// The result of one test.
    public struct Result: Sendable {
        /// The test that ran.
        public let test: PolicyTestCase
        /// Empty when the test passed; else one line per mismatch.
        public let failures: [String]
        /// Why the decision came out as it did, for a failed test.
        public let explanation: Explanation?
        /// Whether the decision met every expectation.
        public var passed: Bool { failures.isEmpty }
    }

    /// Runs every test of the policy, in file order.
    public func run() -> [Result] {
        policy.tests.map(run)
    }

    /// Decides `test`'s request and compares the decision with its expectation.
    public func run(_ test: PolicyTestCase) -> Result {
        let evaluator = PolicyEvaluator(policy: policy)
        let expect = test.expectation
        // As the server does: the resource in normal form, the context fitting the declared fields.
        var request = test.request
        do {
            if let action = policy.action(named: test.request.action) { request = try action.checked(test.request) }
        } catch {
            if let wanted = expect.errorContains, error.message.contains(wanted) {
                return Result(test: test, failures: [], explanation: nil)
            }
            return Result(test: test, failures: ["the request is invalid: \(error.message)"], explanation: nil)
        }
        let decision: Decision
        do {
            decision = try evaluator.decide(request)
        } catch {
            if let wanted = expect.errorContains, error.description.contains(wanted) {
                return Result(test: test, failures: [], explanation: nil)
            }
            return Result(test: test, failures: ["the request could not be decided: \(error.description)"], explanation: nil)
        }
        let explanation = Explanation(decision: decision, request: request, policy: policy)
        var failures: [String] = []
        if let wanted = expect.errorContains {
            failures.append("expected the request to be refused with \"\(wanted)\", but it was decided \(decision.outcome)")
        }
        if decision.outcome != expect.outcome {
            failures.append("expected \(expect.outcome), got \(decision.outcome)")
        }
        let matched = decision.matchedRules.map { policy.rules[$0].name }
        if let rules = expect.rules, Set(rules) != Set(matched) {
            failures.append(
                "expected rules [\(rules.sorted().joined(separator: ", "))] to match, matched [\(matched.sorted().joined(separator: ", "))]"
            )
        }
        if let text = expect.reasonContains, !(decision.reason ?? "").contains(text) {
            failures.append("expected the reason to contain \"\(text)\", got \"\(decision.reason ?? "")\"")
        }
        let got = decision.requirements
        if let approvals = expect.approvals {
            let gotApprovers = got.approvals.map(\.approver.description).sorted()
            let wantApprovers = approvals.map(\.approver.description).sorted()
            if gotApprovers != wantApprovers {
                failures.append(
                    "expected approval by [\(wantApprovers.joined(separator: ", "))], got [\(gotApprovers.joined(separator: ", "))]")
            }
            for want in approvals {
                guard let have = got.approvals.first(where: { $0.approver == want.approver }) else { continue }
                if let q = want.quorum, q != have.quorum { failures.append("expected quorum \(q) of \(want.approver), got \(have.quorum)") }
                if let d = want.denyQuorum, d != have.denyQuorum {
                    failures.append("expected deny_quorum \(d) of \(want.approver), got \(have.denyQuorum)")
                }
                if let e = want.expiresIn, e != have.expiresIn {
                    failures.append("expected \(want.approver) to expire in \(e)s, got \(have.expiresIn)s")
                }
                if let r = want.reasonRequired, r != have.reasonRequired {
                    failures.append("expected reason_required \(r) for \(want.approver), got \(have.reasonRequired)")
                }
            }
        }
        if let s = expect.stepUp {
            if let acr = s.acr, acr != got.stepUp?.acr { failures.append("expected step-up acr \(acr), got \(got.stepUp?.acr ?? "none")") }
            if let m = s.maxAge, m != got.stepUp?.maxAge {
                failures.append("expected step-up max_age \(m), got \(got.stepUp?.maxAge.map(String.init) ?? "none")")
            }
        }
        if let t = expect.ttl, t != got.grant.ttl {
            failures.append("expected ttl \(t)s, got \(got.grant.ttl.map { "\($0)s" } ?? "the server default")")
        }
        if let o = expect.oneTime, o != got.grant.oneTime { failures.append("expected one_time \(o), got \(got.grant.oneTime)") }
        if let r = expect.reuse, r != got.grant.reuse {
            failures.append("expected reuse \(r.map { "\($0)s" } ?? "none"), got \(got.grant.reuse.map { "\($0)s" } ?? "none")")
        }
        return Result(test: test, failures: failures, explanation: explanation)
    }
}
