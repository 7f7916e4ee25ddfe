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

extension ApprovalRequest {
    /// Rebuilds a request from its indexed columns and `detailsJSON`; nil when the stored
    /// details are not what this version writes.
    public init?(
        id: String, authReqIDHash: [UInt8], clientID: String, state: State, createdAt: Int64, expiresAt: Int64,
        details: JSONValue
    ) {
        guard case .object(let d) = details, let subject = d["subject"]?.stringValue,
            let authorizationDetails = d["authorization_details"], let audience = d["audience"]?.stringValue,
            case .array(let scopes)? = d["scopes"], case .array(let approvals)? = d["approvals"],
            let grant = d["grant"].flatMap(GrantTerms.init(json:)), case .array(let rules)? = d["rules"],
            let interval = d["interval"]?.int64Value
        else { return nil }
        let requirements = approvals.compactMap(ApprovalRequirement.init(json:))
        guard requirements.count == approvals.count else { return nil }
        self.init(
            id: id, authReqIDHash: authReqIDHash, clientID: clientID, subject: subject,
            subjectIssuer: d["subject_issuer"]?.stringValue, actor: d["act"], authorizationDetails: authorizationDetails,
            audience: audience, scopes: scopes.compactMap(\.stringValue), approvals: requirements, grant: grant,
            ruleNames: rules.compactMap(\.stringValue), state: state, createdAt: createdAt, expiresAt: expiresAt,
            interval: Int(interval))
    }
}

extension ApprovalRequirement {
    public init?(json: JSONValue) {
        guard case .object(let m) = json, let quorum = m["quorum"]?.int64Value, let expiresIn = m["expires_in"]?.int64Value
        else { return nil }
        let approver: Approver
        if let group = m["group"]?.stringValue {
            approver = .group(group)
        } else if m["subject"] == .bool(true) {
            approver = .subject
        } else {
            return nil
        }
        self.init(
            approver: approver, quorum: Int(quorum), expiresIn: Int(expiresIn), reasonRequired: m["reason_required"] == .bool(true))
    }
}

extension GrantTerms {
    public init?(json: JSONValue) {
        guard case .object(let m) = json, case .bool(let oneTime)? = m["one_time"] else { return nil }
        self.init(ttl: m["ttl"]?.int64Value.map(Int.init), oneTime: oneTime, reuse: m["reuse"]?.int64Value.map(Int.init))
    }
}
