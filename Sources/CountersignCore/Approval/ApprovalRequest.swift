/// A request for an action that people must approve before a token is issued. This issue's
/// part is its creation as `pending` by the decision; votes, expiry and redemption are the
/// approval capability's (the state machine lives here when it comes).
public struct ApprovalRequest: Sendable, Equatable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case pending, approved, denied, expired, cancelled, redeemed
    }

    /// The public id approvers see (random, not a credential).
    public var id: String
    /// SHA-256 of the `auth_req_id` the client polls with; the id itself is never stored.
    public var authReqIDHash: [UInt8]
    public var clientID: String
    /// The subject as the decision saw it: `sub`, the issuer that vouched for it (nil for a
    /// client acting as itself) and its claims.
    public var subject: String
    public var subjectIssuer: String?
    /// The actor (RFC 8693 `act`) when a client acted on the subject's behalf.
    public var actor: JSONValue?
    /// Exactly what was requested, as it will be issued once approved (RFC 9396).
    public var authorizationDetails: JSONValue
    /// The token's audience (RFC 8707 `resource`).
    public var audience: String
    public var scopes: [String]
    /// Who must approve, combined from every matching rule.
    public var approvals: [ApprovalRequirement]
    public var grant: GrantTerms
    public var ruleNames: [String]
    public var state: State
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var expiresAt: Int64
    /// Seconds a client waits between polls (CIBA §7.3).
    public var interval: Int

    public init(
        id: String, authReqIDHash: [UInt8], clientID: String, subject: String, subjectIssuer: String?, actor: JSONValue?,
        authorizationDetails: JSONValue, audience: String, scopes: [String], approvals: [ApprovalRequirement],
        grant: GrantTerms, ruleNames: [String], state: State = .pending, createdAt: Int64, expiresAt: Int64,
        interval: Int = 5
    ) {
        self.id = id
        self.authReqIDHash = authReqIDHash
        self.clientID = clientID
        self.subject = subject
        self.subjectIssuer = subjectIssuer
        self.actor = actor
        self.authorizationDetails = authorizationDetails
        self.audience = audience
        self.scopes = scopes
        self.approvals = approvals
        self.grant = grant
        self.ruleNames = ruleNames
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.interval = interval
    }

    /// The request's details as stored (JSON), everything but the indexed columns.
    public var detailsJSON: JSONValue {
        var members: [String: JSONValue] = [
            "subject": .string(subject), "authorization_details": authorizationDetails, "audience": .string(audience),
            "scopes": .array(scopes.map(JSONValue.string)),
            "approvals": .array(approvals.map(\.json)),
            "grant": grant.json,
            "rules": .array(ruleNames.map(JSONValue.string)),
            "interval": .number(JSONNumber(interval)),
        ]
        if let subjectIssuer { members["subject_issuer"] = .string(subjectIssuer) }
        if let actor { members["act"] = actor }
        return .object(members)
    }
}

extension ApprovalRequirement {
    public var json: JSONValue {
        var members: [String: JSONValue] = ["quorum": .number(JSONNumber(quorum))]
        switch approver {
        case .group(let g): members["group"] = .string(g)
        case .subject: members["subject"] = .bool(true)
        }
        members["expires_in"] = .number(JSONNumber(expiresIn))
        if reasonRequired { members["reason_required"] = .bool(true) }
        return .object(members)
    }
}

extension GrantTerms {
    public var json: JSONValue {
        var members: [String: JSONValue] = ["one_time": .bool(oneTime)]
        if let ttl { members["ttl"] = .number(JSONNumber(ttl)) }
        if let reuse { members["reuse"] = .number(JSONNumber(reuse)) }
        return .object(members)
    }
}
