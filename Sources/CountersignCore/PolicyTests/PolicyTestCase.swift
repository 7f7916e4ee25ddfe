/// One test of a policy file: a request and the decision expected for it.
public struct PolicyTestCase: Sendable {
    public let name: String
    public let request: DecisionRequest
    public let expectation: Expectation
    public let location: SourceLocation

    public init(name: String, request: DecisionRequest, expectation: Expectation, location: SourceLocation = .start) {
        self.name = name
        self.request = request
        self.expectation = expectation
        self.location = location
    }
}

/// What a test expects. Only what it states is checked: `expect: deny`, or
/// `expect: { outcome: approve, rules: [large-refunds], approvals: [{group: finance-leads, quorum: 2}] }`.
public struct Expectation: Sendable {
    public var outcome: Decision.Outcome
    /// The names of exactly the rules that must match.
    public var rules: [String]?
    /// Text the denial reason must contain.
    public var reasonContains: String?
    /// Exactly these approvers, each with the stated terms.
    public var approvals: [ApprovalExpectation]?
    public var stepUp: StepUpRequirement?
    public var ttl: Int?
    public var oneTime: Bool?
    /// `.some(nil)`: the decision must not be reusable.
    public var reuse: Int??
    /// The request must be refused as malformed (a value of the wrong type), with this text.
    public var errorContains: String?

    public init(outcome: Decision.Outcome) {
        self.outcome = outcome
    }
}

/// One approver a test expects, with the terms it states.
public struct ApprovalExpectation: Sendable, Hashable {
    public var approver: ApprovalRequirement.Approver
    public var quorum: Int?
    public var denyQuorum: Int?
    public var expiresIn: Int?
    public var reasonRequired: Bool?
}
