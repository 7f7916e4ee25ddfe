import Yams

extension PolicyBuilder {
    static let testKeys = ["name", "request", "expect"]
    static let expectKeys = ["outcome", "rules", "reason", "approval", "approvals", "step_up", "grant", "error"]

    mutating func parseTests(_ node: Node) -> [PolicyTestCase] {
        guard let items = reader.sequence(node, "tests") else { return [] }
        var tests: [PolicyTestCase] = []
        var names: Set<String> = []
        for item in items {
            guard let test = parseTest(item) else { continue }
            if !names.insert(test.name).inserted {
                reader.fail("two tests are named \(test.name): give each a distinct name", at: test.location)
            }
            tests.append(test)
        }
        return tests
    }

    mutating func parseTest(_ node: Node) -> PolicyTestCase? {
        guard let entries = reader.mapping(node, "a test", known: Self.testKeys) else { return nil }
        let location = YAMLReader.location(of: node)
        let members = YAMLReader.byKey(entries)
        let name = members["name"].flatMap { reader.string($0, "name") }
        if members["name"] == nil { reader.fail("a test needs a name", at: location) }
        let label = name ?? "test at line \(location.line)"
        var request: DecisionRequest?
        if let r = members["request"], let document = reader.value(r) {
            do {
                let decoded = try DecisionRequest(document: document)
                if actionByName[decoded.action] == nil {
                    reader.fail(
                        "test \(label) names the action \(decoded.action), which is not declared under actions:\(YAMLReader.suggestion(for: decoded.action, among: actions.map(\.name)))",
                        at: r)
                } else {
                    request = decoded
                }
            } catch {
                reader.fail("test \(label): request \(error.path): \(error.message)", at: r)
            }
        } else if members["request"] == nil {
            reader.fail("test \(label) needs a request: { subject: ..., action: ..., context: ... }", at: location)
        }
        var expectation: Expectation?
        if let e = members["expect"] {
            expectation = parseExpectation(e, test: label)
        } else {
            reader.fail("test \(label) needs expect: allow, deny, approve or step_up (or a mapping with outcome)", at: location)
        }
        guard let name, let request, let expectation else { return nil }
        return PolicyTestCase(name: name, request: request, expectation: expectation, location: location)
    }

    mutating func outcome(_ node: Node) -> Decision.Outcome? {
        guard let word = reader.string(node, "outcome") else { return nil }
        guard let outcome = Decision.Outcome(rawValue: word) else {
            reader.fail("an outcome is allow, deny, approve or step_up (found \(word))", at: node)
            return nil
        }
        return outcome
    }

    mutating func parseExpectation(_ node: Node, test: String) -> Expectation? {
        if case .scalar = node { return outcome(node).map(Expectation.init(outcome:)) }
        guard let entries = reader.mapping(node, "expect of \(test)", known: Self.expectKeys) else { return nil }
        let members = YAMLReader.byKey(entries)
        var expectation: Expectation
        if let o = members["outcome"] {
            guard let parsed = outcome(o) else { return nil }
            expectation = Expectation(outcome: parsed)
        } else if members["error"] != nil {
            // A request that must be refused has no outcome.
            expectation = Expectation(outcome: .deny)
        } else {
            reader.fail("expect of \(test) needs outcome: allow, deny, approve or step_up (or error: for a refused request)", at: node)
            return nil
        }
        if let r = members["rules"], let items = reader.sequence(r, "rules") {
            var names: [String] = []
            for item in items {
                guard let n = reader.string(item, "a rule name") else { continue }
                if !rules.contains(where: { $0.name == n }) {
                    reader.fail(
                        "test \(test) expects the rule \(n), which the policy does not have\(YAMLReader.suggestion(for: n, among: rules.map(\.name)))",
                        at: item)
                }
                names.append(n)
            }
            expectation.rules = names
        }
        if let r = members["reason"] { expectation.reasonContains = reader.string(r, "reason") }
        if let e = members["error"] { expectation.errorContains = reader.string(e, "error") }
        if members["approval"] != nil && members["approvals"] != nil {
            reader.fail("use approval (one) or approvals (a list), not both", at: node)
        }
        if let a = members["approval"] {
            expectation.approvals = parseApprovalExpectation(a).map { [$0] }
        } else if let a = members["approvals"], let items = reader.sequence(a, "approvals") {
            expectation.approvals = items.compactMap { parseApprovalExpectation($0) }
        }
        if let s = members["step_up"] { expectation.stepUp = parseStepUp(s, rule: "test \(test)") }
        if let g = members["grant"], let fields = reader.mapping(g, "grant", known: ["ttl", "one_time", "reuse"]) {
            for f in fields {
                switch f.key {
                case "ttl": expectation.ttl = reader.duration(f.value, "ttl", in: 1...GrantTerms.maxTTL)
                case "one_time": expectation.oneTime = reader.bool(f.value, "one_time")
                default:
                    if case .scalar(let s) = f.value, YAMLReader.typed(s) == .bool(false) {
                        expectation.reuse = .some(nil)
                    } else {
                        expectation.reuse = reader.duration(f.value, "reuse (or false)", in: 1...3600).map { .some($0) }
                    }
                }
            }
        }
        return expectation
    }

    mutating func parseApprovalExpectation(_ node: Node) -> ApprovalExpectation? {
        guard let fields = reader.mapping(node, "an expected approval", known: Self.approvalKeys)
        else { return nil }
        var approver: ApprovalRequirement.Approver?
        var expectation = ApprovalExpectation(approver: .subject)
        for f in fields {
            switch f.key {
            case "group":
                if let g = reader.string(f.value, "group") {
                    if groups[g] == nil { reader.fail("no group \(g) is defined", at: f.value) }
                    approver = .group(g)
                }
            case "subject": if reader.bool(f.value, "subject") == true { approver = .subject }
            case "quorum": expectation.quorum = reader.integer(f.value, "quorum", in: 1...ApprovalRequirement.maxQuorum)
            case "deny_quorum": expectation.denyQuorum = reader.integer(f.value, "deny_quorum", in: 1...ApprovalRequirement.maxQuorum)
            case "expires_in": expectation.expiresIn = reader.duration(f.value, "expires_in", in: 60...(30 * 86_400))
            default: expectation.reasonRequired = reader.bool(f.value, "reason_required")
            }
        }
        guard let approver else {
            reader.fail("an expected approval needs group: NAME or subject: true", at: node)
            return nil
        }
        expectation.approver = approver
        return expectation
    }
}
