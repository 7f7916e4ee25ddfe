/// One test of a policy file: a request and the decision expected for it.
public struct PolicyTestCase: Sendable {
    /// The test's name, as `policy test` reports it.
    public let name: String
    /// The request to decide.
    public let request: DecisionRequest
    /// What the decision must be.
    public let expectation: Expectation
    /// Where the test is in the policy file.
    public let location: SourceLocation

    /// A test case as the policy parser reads it (docs/POLICY.md §8).
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
    /// The outcome the decision must have.
    public var outcome: Decision.Outcome
    /// The names of exactly the rules that must match.
    public var rules: [String]?
    /// Text the denial reason must contain.
    public var reasonContains: String?
    /// Exactly these approvers, each with the stated terms.
    public var approvals: [ApprovalExpectation]?
    /// The step-up the decision must ask for.
    public var stepUp: StepUpRequirement?
    /// The token lifetime in seconds the decision must grant.
    public var ttl: Int?
    /// Whether the token must be one-time.
    public var oneTime: Bool?
    /// `.some(nil)`: the decision must not be reusable.
    public var reuse: Int??
    /// The request must be refused as malformed (a value of the wrong type), with this text.
    public var errorContains: String?

    /// An expectation of `outcome` alone; the parser fills in what else the test states.
    public init(outcome: Decision.Outcome) {
        self.outcome = outcome
    }
}

/// One approver a test expects, with the terms it states.
public struct ApprovalExpectation: Sendable, Hashable {
    /// The group, or the subject, that must be asked.
    public var approver: ApprovalRequirement.Approver
    /// The quorum it must have, if stated.
    public var quorum: Int?
    /// The deny quorum it must have, if stated.
    public var denyQuorum: Int?
    /// The expiry in seconds it must have, if stated.
    public var expiresIn: Int?
    /// Whether a reason must be required, if stated.
    public var reasonRequired: Bool?
}
