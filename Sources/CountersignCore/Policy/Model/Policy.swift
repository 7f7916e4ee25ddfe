/// A loaded and checked policy: actions, approver groups, rules indexed by action, the default,
/// the acr ladder and the file's own test cases. Built by `PolicyParser`; evaluated by
/// `PolicyEvaluator`. Immutable, so one instance serves every request at once; a class, so
/// handing it around costs one reference count, not one per field.
public final class Policy: Sendable {
    /// The file's `version`; 1 is the only one.
    public let version: Int
    /// Actions in file order (their names are `authorization_details_types_supported`).
    public let actions: [ActionDefinition]
    /// Approver groups by name (docs/POLICY.md §4).
    public let groups: [String: ApproverGroup]
    /// The rules in file order (docs/POLICY.md §5).
    public let rules: [Rule]
    /// The effect when no rule matches: `deny` unless the file says `allow`.
    public let defaultEffect: Effect
    /// `acr` values from weakest to strongest; a subject's `acr` satisfies a step-up to any
    /// value at or below it.
    public let acrLevels: [String]
    /// The file's own test cases, which `policy test` runs (docs/POLICY.md §8).
    public let tests: [PolicyTestCase]
    /// Every condition node by id, for explanations.
    public let conditionInfo: [ConditionInfo]

    /// How many distinct attributes the conditions read (the slots of a decision).
    let attributeCount: Int
    let actionIndex: NameTable
    /// For each action (by index in `actions`), the indexes of its rules in file order: a
    /// decision costs the rules of its action, not the whole file.
    let rulesByAction: [[Int]]
    /// Each rule's condition, by rule index (read without copying the whole rule).
    let conditions: [Condition]
    /// The conditions compiled per action, as a decision runs them.
    let program: DecisionProgram
    /// Per action, the reason given when no rule matches (built once, not per decision).
    let defaultDenyReasons: [String]
    let acrRank: [String: Int]

    /// The acr ladder used when a policy does not state one (weakest first).
    public static let defaultAcrLevels = ["pwd", "mfa", "phr", "phrh"]

    /// A checked policy; the parser builds it, tests may build one directly.
    public init(
        version: Int = 1, actions: [ActionDefinition], groups: [String: ApproverGroup] = [:], rules: [Rule],
        defaultEffect: Effect = .deny, acrLevels: [String] = Policy.defaultAcrLevels, tests: [PolicyTestCase] = [],
        conditionInfo: [ConditionInfo] = [], attributeCount: Int = 0
    ) {
        // Never fewer slots than the conditions use.
        self.attributeCount = max(attributeCount, rules.map { Self.maxSlot($0.condition) + 1 }.max() ?? 0)
        self.version = version
        self.actions = actions
        self.groups = groups
        self.rules = rules
        self.defaultEffect = defaultEffect
        self.acrLevels = acrLevels
        self.tests = tests
        self.conditionInfo = conditionInfo
        let index = NameTable(actions.map(\.name))
        self.actionIndex = index
        var byAction = Array(repeating: [Int](), count: actions.count)
        for (r, rule) in rules.enumerated() {
            for name in Set(rule.actions) { if let a = index.index(of: name) { byAction[a].append(r) } }
        }
        for a in byAction.indices { byAction[a].sort() }
        self.rulesByAction = byAction
        self.conditions = rules.map(\.condition)
        self.program = DecisionProgram(rules: rules, rulesByAction: byAction, conditions: self.conditions)
        self.defaultDenyReasons = actions.map { "No rule allows \($0.name) for this request." }
        var rank: [String: Int] = [:]
        for (i, level) in acrLevels.enumerated() where rank[level] == nil { rank[level] = i }
        self.acrRank = rank
    }

    static func maxSlot(_ condition: Condition) -> Int {
        switch condition {
        case .always: -1
        case .test(let t): t.slot
        case .all(let members, _), .any(let members, _): members.map(maxSlot).max() ?? -1
        case .not(let inner, _): maxSlot(inner)
        }
    }

    /// The action with this name, when the policy declares it.
    public func action(named name: String) -> ActionDefinition? {
        actionIndex.index(of: name).map { actions[$0] }
    }

    /// The rules that name this action, in file order.
    public func rules(for action: String) -> [Rule] {
        guard let a = actionIndex.index(of: action) else { return [] }
        return rulesByAction[a].map { rules[$0] }
    }

    /// Whether an authenticated `acr` is at least as strong as the required one.
    public func acr(_ have: String?, satisfies required: String) -> Bool {
        guard let have, let haveRank = acrRank[have], let needRank = acrRank[required] else { return have == required }
        return haveRank >= needRank
    }
}
