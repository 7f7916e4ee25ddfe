/// A rule's `when`: tests of attributes composed with `all`, `any` and `not`. Every node has an
/// id so an explanation can name the first condition that failed (`Policy.conditionInfo`).
public indirect enum Condition: Sendable {
    /// No `when`: the rule applies to every request for its actions.
    case always
    case test(ConditionTest)
    /// Every member holds (an empty `all` holds).
    case all([Condition], id: Int)
    /// At least one member holds (an empty `any` never holds).
    case any([Condition], id: Int)
    /// The member does not hold. A test of a missing attribute does not hold, so `not` of it does.
    case not(Condition, id: Int)
}

/// One comparison: an attribute, an operator and its operand. A class, so walking a condition
/// tree during a decision copies one reference per test rather than its contents.
public final class ConditionTest: Sendable {
    /// The node's id in `Policy.conditionInfo`.
    public let id: Int
    /// The attribute the test reads.
    public let attribute: Attribute
    /// The comparison and its operand.
    public let op: Operator
    /// The attribute's parts, kept flat so a decision reads them without copying `attribute`.
    let slot: Int
    let source: Attribute.Source
    let key: String
    let subpath: [String]?

    /// Built by the parser, which gives each distinct attribute its slot.
    init(id: Int, attribute: Attribute, op: Operator) {
        self.id = id
        self.attribute = attribute
        self.op = op
        self.slot = attribute.slot
        self.source = attribute.source
        self.key = attribute.path.first ?? ""
        self.subpath = attribute.path.count > 1 ? Array(attribute.path.dropFirst()) : nil
    }
}

/// What a condition node says, for explanations: `context.amount lte 100` at 31:15.
public struct ConditionInfo: Sendable {
    /// The node as the policy file writes it (`context.amount lte 100`).
    public let text: String
    /// Where the node is in the policy file.
    public let location: SourceLocation
    /// The attribute a test reads (nil for all/any; the inner test's for `not` of a test).
    public let attribute: Attribute?
}

/// A comparison operator with its operand, prepared at load time.
public enum Operator: Sendable {
    case eq(PolicyValue)
    case ne(PolicyValue)
    case isIn([PolicyValue])
    case notIn([PolicyValue])
    case contains(PolicyValue)
    case containsAny([PolicyValue])
    case containsAll([PolicyValue])
    case lt(ExactDecimal)
    case lte(ExactDecimal)
    case gt(ExactDecimal)
    case gte(ExactDecimal)
    case glob([GlobPattern])
    case regex(BoundedRegex)
    case cidr([CIDRBlock])
    case between(TimeWindow)
    case exists(Bool)

    /// Every operator name a policy may use.
    public static let names = [
        "eq", "ne", "in", "not_in", "contains", "contains_any", "contains_all", "lt", "lte", "gt", "gte", "glob",
        "regex", "cidr", "between", "exists",
    ]
}
