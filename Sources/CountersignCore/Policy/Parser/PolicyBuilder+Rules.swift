import Yams

extension PolicyBuilder {
    static let ruleKeys = ["name", "description", "action", "actions", "when", "effect", "grant", "approval", "step_up", "reason"]
    static let approvalKeys = ["group", "subject", "quorum", "deny_quorum", "expires_in", "reason_required"]

    mutating func parseRules(_ node: Node) {
        guard let items = reader.sequence(node, "rules") else { return }
        var names: [String: SourceLocation] = [:]
        for item in items {
            guard let rule = parseRule(item) else { continue }
            if let first = names[rule.name] {
                reader.fail("rule name \(rule.name) is used twice (first at line \(first.line)): names must be unique", at: rule.location)
                continue
            }
            names[rule.name] = rule.location
            rules.append(rule)
        }
    }

    mutating func parseRule(_ node: Node) -> Rule? {
        guard let entries = reader.mapping(node, "a rule", known: Self.ruleKeys) else { return nil }
        let location = YAMLReader.location(of: node)
        let members = YAMLReader.byKey(entries)
        let errorsBefore = reader.errors.count

        var name = "rule at line \(location.line)"
        if let n = members["name"], let s = reader.string(n, "name") {
            if PolicyParser.isValidName(s) {
                name = s
            } else {
                reader.fail("rule name \(PolicyValue.string(s).rendered(limit: 40)) must be 1–128 letters, digits or _ . : - /", at: n)
            }
        } else if members["name"] == nil {
            reader.fail("a rule needs a name (tests and explanations refer to it)", at: location)
        }
        if let d = members["description"] { _ = reader.string(d, "description") }

        var actionNames: [String] = []
        if members["action"] != nil && members["actions"] != nil {
            reader.fail("rule \(name) has both action and actions: use one", at: location)
        }
        if let a = members["action"] ?? members["actions"] {
            actionNames = parseActionList(a, rule: name)
        } else {
            reader.fail("rule \(name) needs action: NAME (or a list of names)", at: location)
        }

        var effect: Effect?
        if let e = members["effect"], let word = reader.string(e, "effect") {
            effect = Effect(rawValue: word)
            if effect == nil {
                reader.fail(
                    "effect must be allow, deny, approve or step_up (found \(word))\(YAMLReader.suggestion(for: word, among: Effect.allCases.map(\.rawValue)))",
                    at: e)
            }
        } else if members["effect"] == nil {
            reader.fail("rule \(name) needs an effect: allow, deny, approve or step_up", at: location)
        }

        var condition = Condition.always
        if let w = members["when"] {
            let declared = actionNames.compactMap { actionByName[$0] }
            condition = parseCondition(w, scope: ConditionScope(rule: name, actions: declared), depth: 0) ?? .always
        }
        let grant = members["grant"].flatMap { parseGrant($0, rule: name) }
        let approval = members["approval"].flatMap { parseApproval($0, rule: name) }
        let stepUp = members["step_up"].flatMap { parseStepUp($0, rule: name) }
        var reason: String?
        if let r = members["reason"] {
            reason = reader.string(r, "reason")
            if let text = reason, text.utf8.count > 500 || text.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\u{7F}" }) {
                reader.fail("reason must be one line of at most 500 bytes (it is sent as error_description)", at: r)
            }
        }

        if let effect {
            switch effect {
            case .deny:
                for (key, present) in [("grant", grant != nil), ("approval", approval != nil), ("step_up", stepUp != nil)] where present {
                    reader.fail(
                        "rule \(name) denies, so it cannot have \(key): remove it",
                        at: members[key].map(YAMLReader.location(of:)) ?? location)
                }
            case .approve:
                if members["approval"] == nil {
                    reader.fail("rule \(name) has effect approve but no approval: { group: ..., quorum: ... }", at: location)
                }
            case .stepUp:
                if members["step_up"] == nil {
                    reader.fail("rule \(name) has effect step_up but no step_up: { acr: ..., max_age: ... }", at: location)
                }
                if approval != nil {
                    reader.fail("rule \(name) has effect step_up and an approval: use effect approve (step_up applies too)", at: location)
                }
            case .allow:
                if approval != nil { reader.fail("rule \(name) allows but has an approval: use effect approve", at: location) }
            }
        }
        guard reader.errors.count == errorsBefore, let effect else { return nil }
        return Rule(
            name: name, actions: actionNames, condition: condition, effect: effect, grant: grant, approval: approval,
            stepUp: stepUp, reason: reason, location: location)
    }

    mutating func parseActionList(_ node: Node, rule: String) -> [String] {
        var names: [(String, Node)] = []
        if case .sequence = node {
            for item in reader.sequence(node, "actions of \(rule)") ?? [] {
                if let s = reader.string(item, "an action name") { names.append((s, item)) }
            }
            if names.isEmpty { reader.fail("rule \(rule) names no action", at: node) }
        } else if let s = reader.string(node, "action") {
            names.append((s, node))
        }
        var out: [String] = []
        for (name, at) in names {
            guard actionByName[name] != nil else {
                reader.fail(
                    "rule \(rule) names the action \(name), which is not declared under actions:\(YAMLReader.suggestion(for: name, among: actions.map(\.name)))",
                    at: at)
                continue
            }
            if !out.contains(name) { out.append(name) }
        }
        return out
    }

    mutating func parseGrant(_ node: Node, rule: String) -> GrantTerms? {
        guard let entries = reader.mapping(node, "grant of \(rule)", known: ["ttl", "one_time", "reuse"]) else { return nil }
        var grant = GrantTerms()
        for e in entries {
            switch e.key {
            case "ttl": grant.ttl = reader.duration(e.value, "ttl", in: 1...GrantTerms.maxTTL)
            case "one_time": grant.oneTime = reader.bool(e.value, "one_time") ?? false
            default: grant.reuse = reader.duration(e.value, "reuse", in: 1...3600)
            }
        }
        if grant.oneTime && grant.reuse != nil {
            reader.fail("rule \(rule): a one_time grant cannot be reused; remove reuse or one_time", at: node)
        }
        return grant
    }

    mutating func parseApproval(_ node: Node, rule: String) -> ApprovalRequirement? {
        guard let entries = reader.mapping(node, "approval of \(rule)", known: Self.approvalKeys) else {
            return nil
        }
        var approver: ApprovalRequirement.Approver?
        var quorum = 1
        var quorumNode: Node?
        var denyQuorum = 1
        var denyQuorumNode: Node?
        var expiresIn = ApprovalRequirement.defaultExpiresIn
        var reasonRequired = false
        for e in entries {
            switch e.key {
            case "group":
                guard let g = reader.string(e.value, "group") else { continue }
                if groups[g] == nil {
                    reader.fail(
                        "rule \(rule) asks group \(g) to approve, but no such group is defined under groups:\(YAMLReader.suggestion(for: g, among: Array(groups.keys)))",
                        at: e.value)
                }
                if approver != nil {
                    reader.fail("approval names both group and subject: use one", at: e.value)
                } else {
                    approver = .group(g)
                }
            case "subject":
                guard let b = reader.bool(e.value, "subject") else { continue }
                if !b {
                    reader.fail("subject: false means nothing: leave it out and name a group", at: e.value)
                } else if approver != nil {
                    reader.fail("approval names both group and subject: use one", at: e.value)
                } else {
                    approver = .subject
                }
            case "quorum":
                quorumNode = e.value
                quorum = reader.integer(e.value, "quorum", in: 1...ApprovalRequirement.maxQuorum) ?? 1
            case "deny_quorum":
                denyQuorumNode = e.value
                denyQuorum = reader.integer(e.value, "deny_quorum", in: 1...ApprovalRequirement.maxQuorum) ?? 1
            case "expires_in": expiresIn = reader.duration(e.value, "expires_in", in: 60...(30 * 86_400)) ?? expiresIn
            default: reasonRequired = reader.bool(e.value, "reason_required") ?? false
            }
        }
        guard let approver else {
            reader.fail("approval of \(rule) needs group: NAME, or subject: true for the owner's own confirmation", at: node)
            return nil
        }
        switch approver {
        case .subject:
            if quorum > 1 { reader.fail("approval by the subject has one approver: quorum must be 1", at: quorumNode ?? node) }
            if denyQuorum > 1 {
                reader.fail(
                    "approval by the subject has one approver, whose deny always ends the request: deny_quorum must be 1 (or left out)",
                    at: denyQuorumNode ?? node)
            }
        case .group(let g):
            if let group = groups[g], group.claim == nil {
                for (key, count, at) in [("quorum", quorum, quorumNode), ("deny_quorum", denyQuorum, denyQuorumNode)]
                where count > group.members.count {
                    reader.fail(
                        "group \(g) has \(group.members.count) member(s), so a \(key) of \(count) can never be reached", at: at ?? node)
                }
            }
        }
        return ApprovalRequirement(
            approver: approver, quorum: quorum, denyQuorum: denyQuorum, expiresIn: expiresIn, reasonRequired: reasonRequired)
    }

    mutating func parseStepUp(_ node: Node, rule: String) -> StepUpRequirement? {
        guard let entries = reader.mapping(node, "step_up of \(rule)", known: ["acr", "max_age"]) else { return nil }
        var stepUp = StepUpRequirement()
        for e in entries {
            switch e.key {
            case "acr":
                guard let acr = reader.string(e.value, "acr") else { continue }
                if !acrLevels.contains(acr) {
                    reader.fail(
                        "acr \(acr) is not one of acr_levels (\(acrLevels.joined(separator: ", ")))\(YAMLReader.suggestion(for: acr, among: acrLevels)); add it to acr_levels",
                        at: e.value)
                }
                stepUp.acr = acr
            default: stepUp.maxAge = reader.duration(e.value, "max_age", in: 0...(30 * 86_400))
            }
        }
        if entries.isEmpty { reader.fail("step_up of \(rule) needs acr, max_age or both", at: node) }
        return stepUp
    }
}
