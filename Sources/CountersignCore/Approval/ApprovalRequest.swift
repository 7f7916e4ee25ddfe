/// A request for an action that people must approve before a token is issued: created
/// `pending` by a decision, then moved by votes, expiry and redemption
/// (`ApprovalRequest+Lifecycle.swift`, where its state diagram is).
public struct ApprovalRequest: Sendable, Equatable {
    /// Where the request is in its lifecycle (the state diagram in `ApprovalRequest+Lifecycle.swift`).
    public enum State: String, Sendable, Hashable, CaseIterable {
        case pending, approved, denied, expired, cancelled, redeemed
    }

    /// The public id approvers see (random, not a credential).
    public var id: String
    /// SHA-256 of the `auth_req_id` the client polls with; the id itself is never stored.
    public var authReqIDHash: [UInt8]
    /// The client that asked and alone may redeem it.
    public var clientID: String
    /// The subject as the decision saw it: `sub`, the issuer that vouched for it (nil for a
    /// client acting as itself) and its claims.
    public var subject: String
    /// The issuer that vouched for `subject`; nil for a client acting as itself.
    public var subjectIssuer: String?
    /// The actor (RFC 8693 `act`: `sub` and `iss`) when a client acted on the subject's behalf,
    /// exactly as the token will carry it.
    public var actor: JSONValue?
    /// The subject's other names (a local user's aliases, its `email`, `preferred_username`,
    /// `upn`): none of them may approve the request (`subjectIdentity`).
    public var subjectAliases: [String]
    /// The actor's other names (its `email`, `preferred_username`, `upn`): none of them may
    /// approve the request either (`actorIdentity`). Empty in requests stored before it was kept.
    public var actorAliases: [String]
    /// Exactly what was requested, as it will be issued once approved (RFC 9396).
    public var authorizationDetails: JSONValue
    /// The token's audience (RFC 8707 `resource`).
    public var audience: String
    /// The scopes the token will carry once approved (RFC 6749 §3.3).
    public var scopes: [String]
    /// Who must approve, combined from every matching rule.
    public var approvals: [ApprovalRequirement]
    /// The terms of the token once approved: lifetime, one-time use, reuse.
    public var grant: GrantTerms
    /// The policy rules that asked for approval, for the audit trail and the approvers.
    public var ruleNames: [String]
    /// The state as last stored; `state(at:)` also counts a lapsed expiry.
    public var state: State
    /// When the decision opened the request.
    public var createdAt: Instant
    /// When it expires unless decided first.
    public var expiresAt: Instant
    /// Seconds a client waits between polls (CIBA §7.3).
    public var interval: Int
    /// The votes cast so far, in order.
    public var votes: [Vote]
    /// When it was approved, denied, expired or cancelled.
    public var decidedAt: Instant?
    /// When its token was issued, and that token's `jti`.
    public var redeemedAt: Instant?
    /// The `jti` of the token it was redeemed for, so that a second redemption revokes it.
    public var tokenID: String?
    /// CIBA §7.1 `binding_message`: shown to the approvers, so they can tell this request
    /// from another one like it.
    public var bindingMessage: String?
    /// How the client hears of the outcome when it is not by polling (CIBA ping or push).
    public var delivery: BackchannelDelivery?

    /// A request as a decision opens it or the store reads it back.
    public init(
        id: String, authReqIDHash: [UInt8], clientID: String, subject: String, subjectIssuer: String?, actor: JSONValue?,
        authorizationDetails: JSONValue, audience: String, scopes: [String], approvals: [ApprovalRequirement],
        grant: GrantTerms, ruleNames: [String], state: State = .pending, createdAt: Instant, expiresAt: Instant,
        interval: Int = 5, subjectAliases: [String] = [], actorAliases: [String] = [], votes: [Vote] = [],
        decidedAt: Instant? = nil, redeemedAt: Instant? = nil, tokenID: String? = nil, bindingMessage: String? = nil,
        delivery: BackchannelDelivery? = nil
    ) {
        self.bindingMessage = bindingMessage
        self.delivery = delivery
        self.subjectAliases = subjectAliases
        self.actorAliases = actorAliases
        self.votes = votes
        self.decidedAt = decidedAt
        self.redeemedAt = redeemedAt
        self.tokenID = tokenID
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
        if !subjectAliases.isEmpty { members["subject_aliases"] = .array(subjectAliases.map(JSONValue.string)) }
        if !actorAliases.isEmpty { members["actor_aliases"] = .array(actorAliases.map(JSONValue.string)) }
        if let bindingMessage { members["binding_message"] = .string(bindingMessage) }
        if let delivery { members["delivery"] = delivery.json }
        return .object(members)
    }

    /// Reads the stored columns and `detailsJSON` back; nil when the details are not what
    /// this version writes.
    public init?(
        id: String, authReqIDHash: [UInt8], clientID: String, state: State, details: JSONValue, createdAt: Instant,
        expiresAt: Instant, votes: [Vote], decidedAt: Instant?, redeemedAt: Instant?, tokenID: String?
    ) {
        guard let d = details.objectValue, let subject = d["subject"]?.stringValue,
            let authorizationDetails = d["authorization_details"], let audience = d["audience"]?.stringValue,
            let storedApprovals = d["approvals"]?.arrayValue, let grant = d["grant"].flatMap(GrantTerms.init(json:))
        else { return nil }
        // A requirement that cannot be read makes the whole request unreadable: dropping it
        // would let the request be approved with fewer approvals than it needs.
        let approvals = storedApprovals.compactMap(ApprovalRequirement.init(json:))
        guard approvals.count == storedApprovals.count else { return nil }
        // Likewise an actor who cannot be named could approve their own request.
        if let act = d["act"], PersonIdentity(act: act, names: []) == nil { return nil }
        self.init(
            id: id, authReqIDHash: authReqIDHash, clientID: clientID, subject: subject,
            subjectIssuer: d["subject_issuer"]?.stringValue, actor: d["act"], authorizationDetails: authorizationDetails,
            audience: audience, scopes: d["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [], approvals: approvals,
            grant: grant, ruleNames: d["rules"]?.arrayValue?.compactMap(\.stringValue) ?? [], state: state,
            createdAt: createdAt, expiresAt: expiresAt, interval: d["interval"]?.int64Value.map { Int($0) } ?? 5,
            subjectAliases: d["subject_aliases"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            actorAliases: d["actor_aliases"]?.arrayValue?.compactMap(\.stringValue) ?? [], votes: votes,
            decidedAt: decidedAt, redeemedAt: redeemedAt, tokenID: tokenID,
            bindingMessage: d["binding_message"]?.stringValue, delivery: d["delivery"].flatMap(BackchannelDelivery.init(json:)))
    }
}

extension ApprovalRequest {
    /// The subject as a person approvers are compared with (`PersonIdentity`).
    public var subjectIdentity: PersonIdentity {
        PersonIdentity(issuer: subjectIssuer, sub: subject, names: subjectAliases)
    }

    /// The actor as a person approvers are compared with; nil when no one acted for the subject.
    /// A request stored before `actorAliases` was kept still names its actor by `sub` and `iss`.
    public var actorIdentity: PersonIdentity? {
        actor.flatMap { PersonIdentity(act: $0, names: actorAliases) }
    }
}

extension ApprovalRequirement {
    /// The stored and API form of the requirement (docs/APPROVALS.md).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "quorum": .number(JSONNumber(quorum)), "deny_quorum": .number(JSONNumber(denyQuorum)),
        ]
        switch approver {
        case .group(let g): members["group"] = .string(g)
        case .subject: members["subject"] = .bool(true)
        }
        members["expires_in"] = .number(JSONNumber(expiresIn))
        if reasonRequired { members["reason_required"] = .bool(true) }
        return .object(members)
    }

    /// Reads `json` back. A requirement stored before `deny_quorum` existed has none and reads
    /// as 1, which is what it meant then (one deny ended the request).
    public init?(json: JSONValue) {
        guard let o = json.objectValue, let quorum = o["quorum"]?.int64Value, let expiresIn = o["expires_in"]?.int64Value
        else { return nil }
        var denyQuorum: Int64 = 1
        if let stored = o["deny_quorum"] {
            guard let n = stored.int64Value, n >= 1 else { return nil }
            denyQuorum = n
        }
        let approver: Approver
        if let group = o["group"]?.stringValue {
            approver = .group(group)
        } else if o["subject"] == .bool(true) {
            approver = .subject
        } else {
            return nil
        }
        self.init(
            approver: approver, quorum: Int(quorum), denyQuorum: Int(denyQuorum), expiresIn: Int(expiresIn),
            reasonRequired: o["reason_required"] == .bool(true))
    }
}

extension GrantTerms {
    /// The stored and API form of the terms.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["one_time": .bool(oneTime)]
        if let ttl { members["ttl"] = .number(JSONNumber(ttl)) }
        if let reuse { members["reuse"] = .number(JSONNumber(reuse)) }
        return .object(members)
    }

    /// Reads `json` back.
    public init?(json: JSONValue) {
        guard let o = json.objectValue else { return nil }
        self.init(
            ttl: o["ttl"]?.int64Value.map { Int($0) }, oneTime: o["one_time"] == .bool(true),
            reuse: o["reuse"]?.int64Value.map { Int($0) })
    }
}
