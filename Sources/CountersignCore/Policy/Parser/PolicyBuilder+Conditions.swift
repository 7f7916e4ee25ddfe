import Yams

/// What a condition may refer to: the rule (for messages) and its actions' declared fields.
struct ConditionScope {
    let rule: String
    let actions: [ActionDefinition]
}

extension PolicyBuilder {
    static let maxConditionDepth = 32
    static let maxListOperand = 10_000

    /// A `when` mapping: each key is an attribute with its tests, or all / any / not; the keys
    /// of one mapping must all hold.
    mutating func parseCondition(_ node: Node, scope: ConditionScope, depth: Int) -> Condition? {
        guard depth <= Self.maxConditionDepth else {
            reader.fail("conditions are nested more than \(Self.maxConditionDepth) levels deep: simplify the rule", at: node)
            return nil
        }
        guard let entries = reader.mapping(node, "a condition", known: nil) else { return nil }
        if entries.isEmpty {
            reader.fail("an empty condition: leave out when: for a rule that always applies", at: node)
            return nil
        }
        var parts: [Condition] = []
        for e in entries {
            switch e.key {
            case "all", "any":
                guard let items = reader.sequence(e.value, e.key) else { continue }
                if items.isEmpty { reader.fail("\(e.key) needs at least one condition", at: e.value) }
                var members: [Condition] = []
                for item in items { if let c = parseCondition(item, scope: scope, depth: depth + 1) { members.append(c) } }
                let text = e.key == "all" ? "all of \(items.count) conditions" : "any of \(items.count) conditions"
                let id = newNode(text, at: e.keyNode, attribute: nil)
                parts.append(e.key == "all" ? .all(members, id: id) : .any(members, id: id))
            case "not":
                guard let inner = parseCondition(e.value, scope: scope, depth: depth + 1) else { continue }
                let innerInfo = info(of: inner)
                let id = newNode("not (\(innerInfo?.text ?? "…"))", at: e.keyNode, attribute: innerInfo?.attribute)
                parts.append(.not(inner, id: id))
            default:
                parts.append(contentsOf: parseTests(attribute: e.key, keyNode: e.keyNode, value: e.value, scope: scope))
            }
        }
        if parts.count == 1 { return parts[0] }
        return .all(parts, id: newNode("all of \(parts.count) conditions", at: node, attribute: nil))
    }

    func info(of condition: Condition) -> ConditionInfo? {
        switch condition {
        case .always: nil
        case .test(let t): conditionInfo[t.id]
        case .all(_, let id), .any(_, let id), .not(_, let id): conditionInfo[id]
        }
    }

    mutating func newNode(_ text: String, at node: Node, attribute: Attribute?) -> Int {
        conditionInfo.append(ConditionInfo(text: text, location: YAMLReader.location(of: node), attribute: attribute))
        return conditionInfo.count - 1
    }

    /// `context.amount: { gt: 100, lte: 1000 }` or the shorthand `subject.org: acme` (eq).
    mutating func parseTests(attribute name: String, keyNode: Node, value: Node, scope: ConditionScope) -> [Condition] {
        var attribute: Attribute
        switch Attribute.parse(name) {
        case .success(let a):
            attribute = a
            attribute.slot = attributeSlots[name] ?? attributeSlots.count
            attributeSlots[name] = attribute.slot
        case .failure(let error):
            reader.fail("\(error.description)\(name.contains(".") ? "" : "; combine conditions with all, any or not")", at: keyNode)
            return []
        }
        guard let type = attributeType(attribute, at: keyNode, scope: scope) else { return [] }
        var operations: [(op: String, opNode: Node, operand: Node)] = []
        switch value {
        case .mapping:
            guard let entries = reader.mapping(value, "the tests of \(name)", known: nil) else { return [] }
            if entries.isEmpty { reader.fail("\(name) has no test: write for example { eq: value }", at: value) }
            operations = entries.map { ($0.key, $0.keyNode, $0.value) }
        case .sequence:
            reader.fail("\(name): a list is not a test: write { in: [...] } or { contains_any: [...] }", at: value)
            return []
        default:
            operations = [("eq", keyNode, value)]
        }
        var out: [Condition] = []
        for (opName, opNode, operand) in operations {
            guard let op = parseOperator(opName, opNode: opNode, operand: operand, attribute: attribute, type: type) else { continue }
            let text = "\(name) \(opName) \(describe(operand))"
            let id = newNode(text, at: opNode, attribute: attribute)
            out.append(.test(ConditionTest(id: id, attribute: attribute, op: op)))
        }
        return out
    }

    /// The attribute's type when known (`.some(nil)` when it can be anything), or nil after an error.
    mutating func attributeType(_ attribute: Attribute, at node: Node, scope: ConditionScope) -> AttributeType?? {
        if let known = attribute.knownType { return .some(known) }
        guard attribute.root == .context else { return .some(nil) }
        let field = attribute.path[0]
        var type: AttributeType??
        for action in scope.actions {
            guard let fields = action.fields else { continue }
            guard let declared = fields[field] else {
                let names = fields.keys.sorted()
                reader.fail(
                    "rule \(scope.rule): action \(action.name) declares no field \(field)\(YAMLReader.suggestion(for: field, among: names)); its fields: \(names.isEmpty ? "none" : names.joined(separator: ", "))",
                    at: node)
                return nil
            }
            if attribute.path.count > 1 {
                reader.fail(
                    "field \(field) of \(action.name) is \(declared.description), which has no member \(attribute.path[1])", at: node)
                return nil
            }
            let t = AttributeType(declared)
            if let previous = type, previous != t {
                reader.fail("field \(field) has different types in the actions of rule \(scope.rule)", at: node)
                return nil
            }
            type = .some(t)
        }
        return type ?? .some(nil)
    }

    /// The operand as written, for explanations: bounded in depth and width, so it costs the
    /// same whatever the operand holds.
    func describe(_ node: Node, depth: Int = 0) -> String {
        guard depth < 3 else { return "…" }
        switch node {
        case .scalar(let s):
            return s.style == .plain && s.string.utf8.count <= 60 && !s.string.contains(where: \.isNewline)
                ? s.string : PolicyValue.string(s.string).rendered(limit: 60)
        case .sequence(let seq):
            let shown = seq.prefix(8).map { describe($0, depth: depth + 1) }
            return "[" + (shown + (seq.count > 8 ? ["…"] : [])).joined(separator: ", ") + "]"
        case .mapping(let m):
            let shown = m.prefix(8).map { "\(describe($0.key, depth: depth + 1)): \(describe($0.value, depth: depth + 1))" }
            return "{" + (shown + (m.count > 8 ? ["…"] : [])).joined(separator: ", ") + "}"
        case .alias: return "*alias"
        }
    }
}
