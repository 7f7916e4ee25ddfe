/// Why a decision came out as it did: each rule of the action, whether it matched, and for a
/// rule that did not, the first condition that failed and the value the request had there.
public struct Explanation: Sendable {
    /// One rule of the action and how it fared.
    public struct RuleLine: Sendable {
        /// The rule's name.
        public let rule: String
        /// What the rule does when it matches.
        public let effect: Effect
        /// Whether it matched.
        public let matched: Bool
        /// Where the rule is in the policy file.
        public let location: SourceLocation
        /// The condition that failed (`context.amount lte 100`), for a rule that did not match.
        public let failedCondition: String?
        /// Where the failed condition is in the policy file.
        public let conditionLocation: SourceLocation?
        /// What the request had at that attribute (`250`, `missing`).
        public let seen: String?
    }

    /// The action decided.
    public let action: String
    /// The decision's outcome.
    public let outcome: Decision.Outcome
    /// For a denial, the reason given.
    public let reason: String?
    /// What the decision requires.
    public let requirements: Requirements
    /// Every rule of the action, in file order.
    public let rules: [RuleLine]

    /// The explanation of `decision`, rendered from its trace with the request's values.
    public init(decision: Decision, request: DecisionRequest, policy: Policy) {
        action = request.action
        outcome = decision.outcome
        reason = decision.reason
        requirements = decision.requirements
        rules = decision.ruleTraces.map { trace in
            let rule = policy.rules[trace.rule]
            guard !trace.matched, trace.failedCondition >= 0, trace.failedCondition < policy.conditionInfo.count else {
                return RuleLine(
                    rule: rule.name, effect: rule.effect, matched: trace.matched, location: rule.location,
                    failedCondition: nil, conditionLocation: nil, seen: nil)
            }
            let info = policy.conditionInfo[trace.failedCondition]
            let seen = info.attribute.map { Self.render(request.value(of: $0)) }
            return RuleLine(
                rule: rule.name, effect: rule.effect, matched: false, location: rule.location,
                failedCondition: info.text, conditionLocation: info.location, seen: seen)
        }
    }

    static func render(_ value: AttributeValue) -> String {
        switch value {
        case .missing: "missing"
        case .value(let v): v.rendered()
        case .ip(let ip): ip.description
        case .time(let t): RFC3339.format(t)
        }
    }

    /// Lines for a terminal.
    public var text: String {
        var lines = ["\(action): \(outcome)" + (reason.map { " — \($0)" } ?? "")]
        let r = requirements
        for a in r.approvals {
            lines.append(
                "  requires approval by \(a.approver) (quorum \(a.quorum)\(a.denyQuorum > 1 ? ", \(a.denyQuorum) denials to refuse" : ""), expires in \(a.expiresIn)s\(a.reasonRequired ? ", reason required" : ""))"
            )
        }
        if let s = r.stepUp {
            lines.append("  requires authentication" + (s.acr.map { " at acr \($0)" } ?? "") + (s.maxAge.map { " within \($0)s" } ?? ""))
        }
        if outcome != .deny {
            var terms: [String] = []
            if let ttl = r.grant.ttl { terms.append("ttl \(ttl)s") }
            if r.grant.oneTime { terms.append("one-time") }
            if let reuse = r.grant.reuse { terms.append("reusable for \(reuse)s") }
            if !terms.isEmpty { lines.append("  grant: " + terms.joined(separator: ", ")) }
        }
        if rules.isEmpty { lines.append("  no rule names \(action)") }
        for line in rules {
            if line.matched {
                lines.append("  ✓ \(line.rule) (\(line.effect), line \(line.location.line)) matched")
            } else {
                lines.append(
                    "  ✗ \(line.rule) (\(line.effect), line \(line.location.line)) did not match: \(line.failedCondition ?? "?")"
                        + (line.conditionLocation.map { " (line \($0.line))" } ?? "") + (line.seen.map { ", seen \($0)" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The explanation as JSON (for `--json` and the audit record of a decision).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "action": .string(action), "outcome": .string(outcome.rawValue),
            "rules": .array(
                rules.map { line in
                    var o: [String: JSONValue] = [
                        "rule": .string(line.rule), "effect": .string(line.effect.rawValue), "matched": .bool(line.matched),
                        "line": .number(JSONNumber(line.location.line)),
                    ]
                    if let c = line.failedCondition { o["failed_condition"] = .string(c) }
                    if let l = line.conditionLocation { o["condition_line"] = .number(JSONNumber(l.line)) }
                    if let s = line.seen { o["seen"] = .string(s) }
                    return .object(o)
                }),
            "requirements": requirements.json,
        ]
        if let reason { object["reason"] = .string(reason) }
        return .object(object)
    }
}

extension Requirements {
    /// The requirements as JSON, in the policy file's own words.
    public var json: JSONValue {
        var o: [String: JSONValue] = [:]
        if !approvals.isEmpty {
            o["approvals"] = .array(
                approvals.map { a in
                    var m: [String: JSONValue] = [
                        "quorum": .number(JSONNumber(a.quorum)), "expires_in": .number(JSONNumber(a.expiresIn)),
                        "reason_required": .bool(a.reasonRequired),
                    ]
                    // Left out at its default (one denial refuses), as a policy file would.
                    if a.denyQuorum > 1 { m["deny_quorum"] = .number(JSONNumber(a.denyQuorum)) }
                    switch a.approver {
                    case .group(let g): m["group"] = .string(g)
                    case .subject: m["subject"] = .bool(true)
                    }
                    return .object(m)
                })
        }
        if let s = stepUp {
            var m: [String: JSONValue] = [:]
            if let acr = s.acr { m["acr"] = .string(acr) }
            if let age = s.maxAge { m["max_age"] = .number(JSONNumber(age)) }
            o["step_up"] = .object(m)
        }
        var g: [String: JSONValue] = ["one_time": .bool(grant.oneTime)]
        if let ttl = grant.ttl { g["ttl"] = .number(JSONNumber(ttl)) }
        if let reuse = grant.reuse { g["reuse"] = .number(JSONNumber(reuse)) }
        o["grant"] = .object(g)
        return .object(o)
    }
}
