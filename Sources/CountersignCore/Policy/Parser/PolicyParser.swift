import Yams

/// Reads a policy file (YAML) into a checked `Policy`, or every problem in it with its line and
/// column. Checks everything that can be checked before a request arrives: unknown keys and
/// operators, references to undefined actions, groups, acr levels and fields, operand types
/// against attribute types, bounds on durations and quorums, and the file's own test cases.
public enum PolicyParser {
    /// The largest policy file accepted.
    public static let maxBytes = 4 * 1024 * 1024

    static let topLevelKeys = ["version", "description", "acr_levels", "groups", "actions", "rules", "default", "tests"]

    /// Parses and checks a policy; `file` names it in errors.
    public static func parse(_ text: String, file: String = "policy.yaml") throws(PolicyLoadError) -> Policy {
        guard text.utf8.count <= maxBytes else {
            throw PolicyLoadError(file: file, errors: [PolicyError("the policy is larger than \(maxBytes) bytes", at: .start)])
        }
        if let excess = YAMLNodeBound.firstExcess(over: YAMLReader.maxNodes, in: text) {
            throw PolicyLoadError(
                file: file,
                errors: [
                    PolicyError(
                        "the policy could hold more than \(YAMLReader.maxNodes) YAML nodes (counted from its lines and its - ? : , [ { } marks before it is read); split it or simplify it",
                        at: excess)
                ])
        }
        if let refusal = YAMLAliasScan.refusal(in: text) {
            throw PolicyLoadError(file: file, errors: [refusal])
        }
        let root: Node
        do {
            // The basic resolver: the parser types scalars itself (JSON-style), and Yams's
            // default resolver would run seven regular expressions on every scalar.
            guard let node = try Yams.compose(yaml: text, .basic) else {
                throw PolicyLoadError(
                    file: file, errors: [PolicyError("the policy is empty: it needs version, actions and rules", at: .start)])
            }
            root = node
        } catch let error as PolicyLoadError {
            throw error
        } catch let error as YamlError {
            throw PolicyLoadError(file: file, errors: [located(error)])
        } catch {
            throw PolicyLoadError(file: file, errors: [PolicyError("the policy is not valid YAML: \(error)", at: .start)])
        }
        var builder = PolicyBuilder()
        let policy = builder.build(root)
        guard builder.reader.errors.isEmpty, let policy else {
            let sorted = PolicyLoadError(file: file, errors: Array(Set(builder.reader.errors))).errors
            throw PolicyLoadError(file: file, errors: Array(sorted.prefix(1000)))
        }
        return policy
    }

    static func located(_ error: YamlError) -> PolicyError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            let hint = problem.contains("Maximum nesting level") ? "the policy is nested too deeply (more than 1000 levels)" : problem
            return PolicyError("invalid YAML: \(hint)", at: SourceLocation(line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyError(
                "duplicate key \(duplicates.sorted().joined(separator: ", ")) in one mapping: each key may appear once",
                at: SourceLocation(line: context.mark.line, column: context.mark.column))
        default:
            return PolicyError("invalid YAML: \(error)", at: .start)
        }
    }

    /// Names of actions, rules and groups: what fits in a scope, a RAR type and a log line.
    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 128 else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2E
                || c == 0x3A || c == 0x2D || c == 0x2F
        }
    }
}

/// The state of one parse.
struct PolicyBuilder {
    var reader = YAMLReader()
    var conditionInfo: [ConditionInfo] = []
    var actions: [ActionDefinition] = []
    var actionByName: [String: ActionDefinition] = [:]
    var groups: [String: ApproverGroup] = [:]
    var acrLevels = Policy.defaultAcrLevels
    var rules: [Rule] = []
    var attributeSlots: [String: Int] = [:]

    mutating func build(_ root: Node) -> Policy? {
        guard let top = reader.mapping(root, "the policy", known: PolicyParser.topLevelKeys) else { return nil }
        let members = YAMLReader.byKey(top)
        let rootLocation = YAMLReader.location(of: root)

        var version = 1
        if let v = members["version"] {
            if case .scalar(let s) = v, s.string == "1" {
                version = 1
            } else {
                reader.fail("version must be 1 (the only policy format so far)", at: v)
            }
        } else {
            reader.fail("the policy needs `version: 1` at the top", at: rootLocation)
        }
        if let d = members["description"] { _ = reader.string(d, "description") }
        if let node = members["acr_levels"] { parseAcrLevels(node) }
        if let node = members["groups"] { parseGroups(node) }
        if let node = members["actions"] {
            parseActions(node)
        } else {
            reader.fail("the policy needs an `actions:` mapping naming every action", at: rootLocation)
        }
        if let node = members["rules"] {
            parseRules(node)
        } else {
            reader.fail("the policy needs a `rules:` list", at: rootLocation)
        }
        var defaultEffect = Effect.deny
        if let node = members["default"], let word = reader.string(node, "default") {
            switch word {
            case "deny": defaultEffect = .deny
            case "allow": defaultEffect = .allow
            default: reader.fail("default must be deny or allow (found \(word)); approvals and step-up need a rule", at: node)
            }
        }
        var tests: [PolicyTestCase] = []
        if let node = members["tests"] { tests = parseTests(node) }
        guard reader.errors.isEmpty else { return nil }
        return Policy(
            version: version, actions: actions, groups: groups, rules: rules, defaultEffect: defaultEffect,
            acrLevels: acrLevels, tests: tests, conditionInfo: conditionInfo, attributeCount: attributeSlots.count)
    }

    mutating func parseAcrLevels(_ node: Node) {
        guard let items = reader.sequence(node, "acr_levels") else { return }
        var levels: [String] = []
        for item in items {
            guard let s = reader.string(item, "an acr level") else { continue }
            if levels.contains(s) { reader.fail("acr level \(s) is listed twice", at: item) } else { levels.append(s) }
        }
        if levels.isEmpty { reader.fail("acr_levels must list at least one level, weakest first", at: node) }
        acrLevels = levels
    }

    mutating func parseGroups(_ node: Node) {
        guard let entries = reader.mapping(node, "groups", known: nil) else { return }
        for entry in entries {
            let name = entry.key
            if !PolicyParser.isValidName(name) {
                reader.fail(
                    "group name \(PolicyValue.string(name).rendered(limit: 40)) must be 1–128 letters, digits or _ . : - /",
                    at: entry.keyNode)
            }
            guard let fields = reader.mapping(entry.value, "group \(name)", known: ["members", "claim", "value", "description"]) else {
                continue
            }
            var members: [String] = []
            var claim: String?
            var value: String?
            for f in fields {
                switch f.key {
                case "members":
                    guard let items = reader.sequence(f.value, "members of \(name)") else { continue }
                    for item in items {
                        guard let m = reader.string(item, "a member of \(name)") else { continue }
                        if members.contains(m) { reader.fail("\(m) is listed twice in group \(name)", at: item) } else { members.append(m) }
                    }
                    if items.isEmpty { reader.fail("members of \(name) is empty: list at least one, or use claim and value", at: f.value) }
                case "claim": claim = reader.string(f.value, "claim of \(name)")
                case "value": value = reader.string(f.value, "value of \(name)")
                default: _ = reader.string(f.value, "description")
                }
            }
            let location = YAMLReader.location(of: entry.keyNode)
            if (claim == nil) != (value == nil) {
                reader.fail("group \(name) needs both claim and value (members are approvers whose claim contains the value)", at: location)
            }
            if members.isEmpty && claim == nil && value == nil {
                reader.fail("group \(name) has no members: give members: [...] or claim: and value:", at: location)
            }
            groups[name] = ApproverGroup(name: name, members: members, claim: claim, claimValue: value, location: location)
        }
    }

    mutating func parseActions(_ node: Node) {
        guard let entries = reader.mapping(node, "actions", known: nil) else { return }
        if entries.isEmpty { reader.fail("actions is empty: declare at least one action", at: node) }
        for entry in entries {
            let name = entry.key
            let location = YAMLReader.location(of: entry.keyNode)
            if !PolicyParser.isValidName(name) {
                reader.fail(
                    "action name \(PolicyValue.string(name).rendered(limit: 40)) must be 1–128 letters, digits or _ . : - /", at: location)
            }
            var description: String?
            var resource: GlobPattern?
            var resourceQuery = false
            var fields: [String: FieldType]?
            if case .scalar(let s) = entry.value, YAMLReader.typed(s) == .null {
                // `delete_user:` with nothing after it: an action without details.
            } else if let members = reader.mapping(
                entry.value, "action \(name)", known: ["description", "resource", "resource_query", "fields"])
            {
                for m in members {
                    switch m.key {
                    case "description": description = reader.string(m.value, "description of \(name)")
                    case "resource":
                        guard let text = reader.string(m.value, "resource of \(name)") else { continue }
                        do { resource = try GlobPattern(text) } catch { reader.fail("resource of \(name): \(error.message)", at: m.value) }
                        checkNormalForm(text, isGlob: true, what: "resource of \(name)", at: m.value)
                    case "resource_query": resourceQuery = reader.bool(m.value, "resource_query of \(name)") ?? false
                    default: fields = parseFields(m.value, action: name)
                    }
                }
            }
            let action = ActionDefinition(
                name: name, description: description, resource: resource, resourceQuery: resourceQuery, fields: fields,
                location: location)
            actions.append(action)
            actionByName[name] = action
        }
    }

    mutating func parseFields(_ node: Node, action: String) -> [String: FieldType]? {
        guard let entries = reader.mapping(node, "fields of \(action)", known: nil) else { return nil }
        var fields: [String: FieldType] = [:]
        for entry in entries {
            var type: FieldType?
            switch entry.value {
            case .sequence(let seq) where seq.count == 1:
                // `locations: [string]` written unquoted is a one-item YAML list.
                if case .scalar(let s) = seq[0], let base = FieldType.Base(rawValue: s.string) {
                    type = FieldType(base: base, isList: true)
                }
            case .scalar(let s):
                type = FieldType(text: s.string)
            default: break
            }
            guard let type else {
                reader.fail(
                    "field \(entry.key) of \(action) has an unknown type: use string, number, boolean, [string], [number] or [boolean], with ? for optional (\"number?\")",
                    at: entry.value)
                continue
            }
            fields[entry.key] = type
        }
        return fields
    }
}
