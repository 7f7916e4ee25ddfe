import Yams

/// Reads a composed YAML tree for the policy parser: positions for every node, keys checked
/// against the known ones (with a "did you mean"), duplicates refused, anchors and aliases
/// refused, and scalars typed the JSON way (only a plain `100` is a number; `"100"` is a string;
/// YAML 1.1's `yes`/`on` are strings).
struct YAMLReader {
    var errors: [PolicyError] = []
    /// Nodes visited, bounded so no document makes the parser do unbounded work.
    var visited = 0
    static let maxNodes = 200_000

    /// More errors than this are not collected: the first thousand say what is wrong.
    static let maxErrors = 1000

    mutating func fail(_ message: String, at node: Node) {
        fail(message, at: Self.location(of: node))
    }

    mutating func fail(_ message: String, at location: SourceLocation) {
        guard errors.count < Self.maxErrors else { return }
        errors.append(PolicyError(message, at: location))
    }

    static func location(of node: Node) -> SourceLocation {
        guard let mark = node.mark else { return .start }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    /// False (with an error) for documents too large to read. Aliases never get here:
    /// `YAMLAliasScan` refuses them before Yams composes the document.
    mutating func admit(_ node: Node) -> Bool {
        visited += 1
        if visited == Self.maxNodes + 1 {
            fail("the policy has more than \(Self.maxNodes) YAML nodes; split it or simplify it", at: node)
        }
        return visited <= Self.maxNodes
    }

    /// The members of a mapping in order, with string keys; nil (with an error) when `node` is
    /// not a mapping. Unknown and duplicate keys are reported; `known` nil accepts any key.
    mutating func mapping(_ node: Node, _ what: String, known: [String]?) -> [(key: String, keyNode: Node, value: Node)]? {
        guard admit(node) else { return nil }
        guard case .mapping(let mapping) = node else {
            fail("\(what) must be a mapping (key: value)\(found(node))", at: node)
            return nil
        }
        var seen: [String: SourceLocation] = [:]
        var out: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard admit(keyNode) else { continue }
            guard case .scalar(let scalar) = keyNode else {
                fail("keys of \(what) must be plain names", at: keyNode)
                continue
            }
            let key = scalar.string
            if let first = seen[key] {
                fail("duplicate key \(key) in \(what) (first at line \(first.line)): each key may appear once", at: keyNode)
                continue
            }
            seen[key] = Self.location(of: keyNode)
            if let known, !known.contains(key) {
                fail(
                    "unknown key \(key) in \(what)\(Self.suggestion(for: key, among: known)); allowed: \(known.joined(separator: ", "))",
                    at: keyNode)
                continue
            }
            out.append((key, keyNode, value))
        }
        return out
    }

    /// A mapping's entries by key (keys are already unique: `mapping` refuses duplicates).
    static func byKey(_ entries: [(key: String, keyNode: Node, value: Node)]) -> [String: Node] {
        Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The items of a sequence; nil (with an error) when `node` is not one.
    mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard admit(node) else { return nil }
        guard case .sequence(let sequence) = node else {
            fail("\(what) must be a list\(found(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    /// A scalar typed the JSON way.
    mutating func scalar(_ node: Node, _ what: String) -> PolicyValue? {
        guard admit(node) else { return nil }
        guard case .scalar(let scalar) = node else {
            fail("\(what) must be a single value\(found(node))", at: node)
            return nil
        }
        if scalar.style == .plain, !scalar.tag.rawValue.isEmpty, scalar.tag.rawValue != "!" {
            fail("explicit YAML tags (such as !!str) are not allowed in a policy: quote a string, write a number plainly", at: node)
            return nil
        }
        let value = Self.typed(scalar)
        if scalar.style == .plain, case .string(let text) = value, JSONNumber.isValidLiteral(text.utf8) {
            fail(
                "the number \(text.prefix(40)) is out of range (at most \(ExactDecimal.maxDigits) significant digits and an exponent within ±\(ExactDecimal.maxExponent))",
                at: node)
            return nil
        }
        return value
    }

    static func typed(_ scalar: Node.Scalar) -> PolicyValue {
        let text = scalar.string
        guard scalar.style == .plain else { return .string(text) }
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null", "~", "": return .null
        default: break
        }
        if let first = text.utf8.first, first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")),
            JSONNumber.isValidLiteral(text.utf8)
        {
            if let d = try? ExactDecimal(literal: text) { return .number(d) }
        }
        return .string(text)
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let value = scalar(node, what) else { return nil }
        guard case .string(let s) = value, !s.isEmpty else {
            fail("\(what) must be a non-empty string\(describe(value))", at: node)
            return nil
        }
        return s
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let value = scalar(node, what) else { return nil }
        guard case .bool(let b) = value else {
            fail("\(what) must be true or false\(describe(value))", at: node)
            return nil
        }
        return b
    }

    mutating func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = scalar(node, what) else { return nil }
        guard case .number(let n) = value, let i = n.int64Value, range.contains(Int(i)) else {
            fail("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)\(describe(value))", at: node)
            return nil
        }
        return Int(i)
    }

    /// A duration in seconds: `90`, `90s`, `15m`, `2h`, `7d`.
    mutating func duration(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = scalar(node, what) else { return nil }
        var seconds: Int?
        switch value {
        case .number(let n): seconds = n.int64Value.flatMap { Int(exactly: $0) }
        case .string(let s): seconds = Self.parseDuration(s)
        default: break
        }
        guard let seconds else {
            fail("\(what) must be a duration such as 90s, 15m, 2h or 7d (or whole seconds)\(describe(value))", at: node)
            return nil
        }
        guard range.contains(seconds) else {
            fail(
                "\(what) must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), not \(Self.format(seconds))",
                at: node)
            return nil
        }
        return seconds
    }

    static func parseDuration(_ text: String) -> Int? {
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 0, text.count <= 12,
            text.dropLast().allSatisfy(\.isASCII), text.first != "+"
        else { return nil }
        let (product, overflow): (Int, Bool) =
            switch unit {
            case "s": (count, false)
            case "m": count.multipliedReportingOverflow(by: 60)
            case "h": count.multipliedReportingOverflow(by: 3600)
            case "d": count.multipliedReportingOverflow(by: 86_400)
            default: (0, true)
            }
        return overflow ? nil : product
    }

    /// Seconds as the shortest exact duration text (`900` → `15m`).
    static func format(_ seconds: Int) -> String {
        if seconds != 0 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds != 0 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds != 0 && seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// A whole subtree as a value (for test requests), refusing anchors.
    mutating func value(_ node: Node, depth: Int = 0) -> PolicyValue? {
        guard depth <= 32 else {
            fail("nested more than 32 levels deep", at: node)
            return nil
        }
        switch node {
        case .scalar:
            return scalar(node, "a value")
        case .sequence:
            guard let items = sequence(node, "a list") else { return nil }
            var out: [PolicyValue] = []
            for item in items { if let v = value(item, depth: depth + 1) { out.append(v) } }
            return .list(out)
        case .mapping:
            guard let members = mapping(node, "a mapping", known: nil) else { return nil }
            var out: [String: PolicyValue] = [:]
            for m in members { if let v = value(m.value, depth: depth + 1) { out[m.key] = v } }
            return .object(out)
        case .alias:
            _ = admit(node)
            return nil
        }
    }

    func found(_ node: Node) -> String {
        switch node {
        case .scalar(let s): " (found \(PolicyValue.string(s.string).rendered(limit: 40)))"
        case .sequence: " (found a list)"
        case .mapping: " (found a mapping)"
        case .alias: " (found an alias)"
        }
    }

    func describe(_ value: PolicyValue) -> String {
        switch value {
        case .string(let s): " (found the string \(PolicyValue.string(s).rendered(limit: 40)))"
        case .null: " (found nothing)"
        default: " (found \(value.rendered(limit: 40)))"
        }
    }

    /// ", did you mean lte?" for a near miss.
    static func suggestion(for word: String, among candidates: [String]) -> String {
        // Bounded: a near miss among many names is no help, and the search must stay cheap.
        guard candidates.count <= 200, word.utf8.count <= 64 else { return "" }
        var best: (String, Int)?
        for c in candidates where abs(c.utf8.count - word.utf8.count) <= 2 {
            let d = editDistance(word, c)
            if d <= max(1, min(2, c.count / 3)), d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best.map { " (did you mean \($0.0)?)" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64)), b = Array(b.unicodeScalars.prefix(64))
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
