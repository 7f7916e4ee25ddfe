import CountersignCore
import CountersignStore
import Crypto
import Synchronization

/// Where the policy in force comes from (the server's `PolicyHolder`, reloaded on SIGHUP).
public protocol PolicySource: Sendable {
    var currentPolicy: Policy? { get }
}

/// Who a token request is for: a user vouched for by a trusted issuer, or the client itself.
public struct ActionSubject: Sendable {
    public var sub: String
    /// The issuer that vouched for the subject; nil when the client acts as itself.
    public var issuer: String?
    public var claims: [String: PolicyValue]
    public var acr: String?
    public var authTime: Int64?
    /// RFC 8693 §4.1: who acts on the subject's behalf, vouched for by a trusted issuer.
    public var actor: PersonIdentity?
    /// Other names the subject goes by (a user's `--alias`), besides those in its claims.
    public var aliases: [String] = []

    /// The subject as an audit event names it: `iss#sub`, so one `sub` from two IdPs is two subjects.
    public var auditName: String { issuer.map { "\($0)#\(sub)" } ?? "client:\(sub)" }

    /// The subject as a person approvers are compared with: `sub`, issuer, aliases and name claims.
    public var identity: PersonIdentity { PersonIdentity(issuer: issuer, sub: sub, claims: claims, aliases: aliases) }

    /// The `act` claim (RFC 8693 §4.1) of what is issued and audited for this subject.
    var act: JSONValue? { actor?.actClaim }
}

/// The decision at the token endpoint (docs/ARCHITECTURE.md): evaluates every
/// requested action (for each of its locations) against the policy with the request's IP and
/// time, records the decision with its explanation in the audit chain, and answers:
/// allow → the terms to mint with; deny → `access_denied` with the policy's reason; step-up →
/// `insufficient_user_authentication` with `acr_values`/`max_age` (RFC 9470); approval → a
/// pending approval request and `approval_required` with its `auth_req_id`.
public final class ActionDecider: Sendable {
    /// What an allowed request is issued with.
    struct Allowed: Sendable {
        var terms: GrantTerms
        var ruleNames: [String]
        /// `decision` (or `decision.reused`) events, appended with `token.issued`.
        var audit: [AuditRecord]
        var reuseKey: String?
        var reuseSeconds: Int?
    }

    struct Remembered: Sendable {
        var terms: GrantTerms
        var ruleNames: [String]
        var expiresAt: Instant
        var policy: Policy
    }

    let policies: any PolicySource
    let audit: any AuditLog
    let requests: any ApprovalRequestStore
    let events: ApprovalEvents
    let clock: any WallClock
    let remembered = Mutex<[String: Remembered]>([:])
    static let maxRemembered = 10_000
    /// Seconds between two polls of an approval request (CIBA §7.3 `interval`).
    static let pollInterval = 5

    public init(
        policies: any PolicySource, audit: any AuditLog, approvals: any ApprovalRequestStore, events: ApprovalEvents,
        clock: any WallClock
    ) {
        self.policies = policies
        self.audit = audit
        self.requests = approvals
        self.events = events
        self.clock = clock
    }

    func policy() throws(OAuthError) -> Policy {
        guard let policy = policies.currentPolicy else { throw OAuthError.unavailable(detail: "no policy is loaded") }
        return policy
    }

    /// What a decision leads to, besides the refusals it throws.
    enum Outcome: Sendable {
        /// Mint the token now.
        case allow(Allowed)
        /// A request was stored for the client to poll or be notified about.
        case pending(Pending)
    }

    /// An approval request the client now holds by its `auth_req_id`.
    struct Pending: Sendable {
        var request: ApprovalRequest
        var authReqID: String
        var expiresIn: Int
        var interval: Int

        /// The token endpoint's answer (README): 400 `approval_required`, polled as CIBA.
        var approvalRequired: OAuthError {
            var answer = OAuthError(
                .approvalRequired, "this action needs approval; poll the token endpoint with the auth_req_id (CIBA)")
            answer.members = [
                ("auth_req_id", .string(authReqID)), ("expires_in", .number(JSONNumber(expiresIn))),
                ("interval", .number(JSONNumber(interval))),
            ]
            return answer
        }
    }

    /// What a backchannel authentication request (CIBA §7.1) adds: even an allow becomes a
    /// request that the client redeems as it would an approved one. In CIBA the user
    /// authenticates on their own device, and a hint only says who is meant; so unless the
    /// client is trusted to assert its users (`OAuthClient.assertsUsers`), the request also
    /// needs the subject's own confirmation, whatever the policy asks besides.
    struct Backchannel: Sendable {
        var authReqID: String
        var bindingMessage: String?
        /// Seconds; capped by the rule's `expires_in`.
        var requestedExpiry: Int?
        var delivery: BackchannelDelivery?
        /// The subject must confirm (false only for a client trusted to assert its users).
        var needsSubjectConfirmation: Bool = true
    }

    /// Decides; returns the terms for an allow or the stored request, and throws the OAuth
    /// answer for a deny or a step-up.
    func decide(
        subject: ActionSubject, client: OAuthClient, actions: [RequestedAction], audience: ActionAudience, scopes: [String],
        remoteAddress: String?, policy: Policy, backchannel: Backchannel? = nil
    ) async throws(OAuthError) -> Outcome {
        let now = clock.now()
        let details = JSONValue.array(actions.map(\.detail))
        let digest = Self.digest(subject: subject, client: client.id, details: details, audience: audience.uri)
        // Reuse is keyed on everything the policy may read of this request but the time: the
        // request itself, and the subject's claims (roles, acr, auth_time) and address. Only
        // worked out when a rule of these actions can grant reuse at all.
        let mayReuse = actions.contains { action in policy.rules(for: action.action).contains { $0.grant?.reuse != nil } }
        let reuseKey = mayReuse ? Self.reuseKey(digest: digest, subject: subject, remoteAddress: remoteAddress) : nil
        if let reuseKey, let hit = recall(reuseKey, policy: policy, now: now) {
            let record = AuditRecord(
                type: "decision.reused", actor: subject.auditName,
                data: [
                    "client_id": .string(client.id), "outcome": "allow", "rules": .array(hit.ruleNames.map(JSONValue.string)),
                    "actions": .array(actions.map { .string($0.action) }), "context_digest": .string(digest),
                    "ip": .optional(remoteAddress),
                ])
            let allowed = Allowed(terms: hit.terms, ruleNames: hit.ruleNames, audit: [record], reuseKey: nil, reuseSeconds: nil)
            if backchannel == nil { return .allow(allowed) }
        }

        let evaluator = PolicyEvaluator(policy: policy)
        let ip = remoteAddress.flatMap(IPAddress.init)
        var outcomes: [(request: DecisionRequest, decision: Decision)] = []
        for (index, action) in actions.enumerated() {
            let resources: [String?] = action.locations.isEmpty ? [nil] : action.locations.map(\.uri)
            for resource in resources {
                let request = DecisionRequest(
                    subject: .init(sub: subject.sub, claims: subject.claims),
                    client: .init(id: client.id, attributes: ["scopes": .list(client.scopes.map(PolicyValue.string))]),
                    action: action.action, resource: resource, context: action.context, ip: ip, time: now.secondsSince1970)
                do {
                    outcomes.append((request, try evaluator.decide(request)))
                } catch {
                    throw OAuthError(.invalidAuthorizationDetails, "authorization_details[\(index)]: \(error.description)")
                }
            }
        }
        var combined = Decision.combine(outcomes.map(\.decision), policy: policy)
        // Never above the client's maximum, for a token issued now or when an approval is redeemed.
        let lifetime = client.cappedLifetime(combined.requirements.grant.tokenLifetime)
        if lifetime < combined.requirements.grant.tokenLifetime { combined.requirements.grant.ttl = Int(lifetime) }
        let ruleNames = Self.ruleNames(outcomes.map(\.decision), policy: policy)
        let record = AuditRecord(
            type: "decision", actor: subject.auditName,
            data: [
                "client_id": .string(client.id), "sub": .string(subject.sub), "iss": .optional(subject.issuer),
                "act": subject.act ?? .null, "outcome": .string(combined.outcome.rawValue),
                "rules": .array(ruleNames.map(JSONValue.string)),
                "actions": .array(outcomes.map { .string($0.request.action) }),
                "resources": .array(outcomes.map { .optional($0.request.resource) }),
                "aud": .string(audience.uri), "context_digest": .string(digest), "ip": .optional(remoteAddress),
            ],
            rendered: [("explanation", Self.explanations(outcomes, policy: policy))])

        switch combined.outcome {
        case .allow where backchannel == nil:
            // A decision that needed a fresh enough authentication is never reused: its answer
            // changes as auth_time ages. A satisfied step-up leaves its requirement on the single
            // decision only (the combined allow does not carry it).
            let neededStepUp = outcomes.contains { $0.decision.requirements.stepUp != nil }
            return .allow(
                Allowed(
                    terms: combined.requirements.grant, ruleNames: ruleNames, audit: [record], reuseKey: reuseKey,
                    reuseSeconds: neededStepUp ? nil : combined.requirements.grant.reuse))
        case .deny:
            try await append([record])
            throw OAuthError(.accessDenied, combined.reason ?? "the policy denies this action")
        case .stepUp:
            try await append([record])
            var error = OAuthError(
                .insufficientUserAuthentication,
                "this action needs a stronger or more recent authentication; sign in again as acr_values and max_age say")
            let stepUp = combined.requirements.stepUp
            if let acr = stepUp?.acr { error.members.append(("acr_values", .string(acr))) }
            if let maxAge = stepUp?.maxAge { error.members.append(("max_age", .number(JSONNumber(maxAge)))) }
            throw error
        case .allow, .approve:
            return .pending(
                try await createRequest(
                    subject: subject, client: client, actions: actions, details: details, audience: audience.uri,
                    scopes: scopes, combined: combined, ruleNames: ruleNames, decision: record, backchannel: backchannel,
                    now: now))
        }
    }

    /// Stores the request the client will poll (or be notified about): pending until people
    /// approve it, or already approved when a backchannel request was allowed at once.
    func createRequest(
        subject: ActionSubject, client: OAuthClient, actions: [RequestedAction], details: JSONValue, audience: String,
        scopes: [String], combined: Decision.Combined, ruleNames: [String], decision: AuditRecord, backchannel: Backchannel?,
        now: Instant
    ) async throws(OAuthError) -> Pending {
        let authReqID = backchannel?.authReqID ?? TokenID.generateLong()
        var approvals = combined.outcome == .approve ? combined.requirements.approvals : []
        var expiresIn = approvals.map(\.expiresIn).min() ?? ApprovalRequirement.defaultExpiresIn
        // CIBA §7.1 requested_expiry: shorter or longer as the client asks, never beyond the rule.
        if let requested = backchannel?.requestedExpiry { expiresIn = min(expiresIn, requested) }
        if let backchannel, backchannel.needsSubjectConfirmation, !approvals.contains(where: { $0.approver == .subject }) {
            approvals.append(ApprovalRequirement(approver: .subject, quorum: 1, denyQuorum: 1, expiresIn: expiresIn))
        }
        var request = ApprovalRequest(
            id: Self.requestID(), authReqIDHash: Array(SHA256.hash(data: Array(authReqID.utf8))), clientID: client.id,
            subject: subject.sub, subjectIssuer: subject.issuer, actor: subject.act, authorizationDetails: details,
            audience: audience, scopes: scopes, approvals: approvals, grant: combined.requirements.grant,
            ruleNames: ruleNames, createdAt: now, expiresAt: now + .seconds(expiresIn), interval: Self.pollInterval,
            subjectAliases: subject.identity.names, actorAliases: subject.actor?.names ?? [],
            bindingMessage: backchannel?.bindingMessage,
            delivery: backchannel?.delivery)
        if approvals.isEmpty {
            request.state = .approved
            request.decidedAt = now
        }
        let requested = AuditRecord(
            type: "approval.requested", actor: subject.auditName,
            data: [
                "request_id": .string(request.id), "client_id": .string(client.id), "sub": .string(subject.sub),
                "iss": .optional(subject.issuer), "actions": .array(actions.map { .string($0.action) }),
                "approvals": .array(request.approvals.map(\.json)), "expires_at": .number(JSONNumber(request.expiresAt.millisecondsSince1970)),
                "state": .string(request.state.rawValue),
                "delivery": .string(request.delivery?.mode.rawValue ?? BackchannelDelivery.Mode.poll.rawValue),
            ])
        var records = [decision, requested]
        if let backchannel, !backchannel.needsSubjectConfirmation {
            // A client trusted to assert its users named this one; each such use is on record.
            records.append(
                AuditRecord(
                    type: "ciba.user_asserted", actor: "client:\(client.id)",
                    data: [
                        "request_id": .string(request.id), "client_id": .string(client.id), "sub": .string(subject.sub),
                        "iss": .optional(subject.issuer),
                    ]))
        }
        let change = ApprovalChange(kind: .requested, request: request)
        let deliveries: [OutboxDelivery]
        do {
            deliveries = try await requests.create(
                request, audit: records, notifications: NotificationPlan.intents(for: change),
                claim: events.claim(now: now))
        } catch {
            throw OAuthError.unavailable(detail: "storing the approval request failed: \(error)")
        }
        events.publish(ApprovalChange(kind: .requested, request: request, deliveries: deliveries))
        return Pending(request: request, authReqID: authReqID, expiresIn: expiresIn, interval: Self.pollInterval)
    }

    /// An approval request's id: 128 random bits, base64url, never starting with `-`, so that
    /// `countersign request show ID` and `approve ID` do not read it as an option.
    static func requestID() -> String {
        while true {
            let id = TokenID.generate()
            if id.first != "-" { return id }
        }
    }

    func append(_ records: [AuditRecord]) async throws(OAuthError) {
        do { try await audit.append(records) } catch {
            throw OAuthError.unavailable(detail: "audit append failed: \(error)")
        }
    }

    /// The decision event's `explanation`: one explanation per evaluated request, written
    /// straight into its canonical JSON.
    static func explanations(_ outcomes: [(request: DecisionRequest, decision: Decision)], policy: Policy) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(1024)
        for (index, outcome) in outcomes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Explanation(decision: outcome.decision, request: outcome.request, policy: policy).writeCanonicalJSON(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    static func ruleNames(_ decisions: [Decision], policy: Policy) -> [String] {
        var names: [String] = []
        for decision in decisions {
            for index in decision.matchedRules {
                let name = policy.rules[index].name
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// SHA-256 over the canonical JSON of who asks, through which client, for what, for whom:
    /// the key of decision reuse and the context digest of the audit event.
    static func digest(subject: ActionSubject, client: String, details: JSONValue, audience: String) -> String {
        let input: JSONValue = [
            "iss": .optional(subject.issuer), "sub": .string(subject.sub), "client_id": .string(client),
            "authorization_details": details, "aud": .string(audience), "act": subject.act ?? .null,
        ]
        return SHA256.hash(data: Array(CanonicalJSON.exactString(input).utf8)).hexString
    }

    /// Claims that differ from one IdP token to the next for the same sign-in (RFC 7519 §4.1,
    /// OpenID Connect Core §2 and §3.3.2.11): left out of the reuse key, or reuse would only hit
    /// for the byte-identical subject token. `auth_time`, `acr`, roles and the like stay in.
    static let perTokenClaims: Set<String> = ["iat", "exp", "nbf", "jti", "nonce", "at_hash", "c_hash", "s_hash"]

    static func reuseKey(digest: String, subject: ActionSubject, remoteAddress: String?) -> String {
        let claims = JSONValue.object(subject.claims.filter { !perTokenClaims.contains($0.key) }.mapValues(\.json))
        let input: JSONValue = ["digest": .string(digest), "claims": claims, "ip": .optional(remoteAddress)]
        return SHA256.hash(data: Array(CanonicalJSON.exactString(input).utf8)).hexString
    }

    func recall(_ key: String, policy: Policy, now: Instant) -> Remembered? {
        remembered.withLock { table in
            guard let hit = table[key] else { return nil }
            guard hit.expiresAt > now, hit.policy === policy else {
                table[key] = nil
                return nil
            }
            return hit
        }
    }

    /// Records an allow whose rules set `grant.reuse`, once its token is issued.
    func remember(_ allowed: Allowed, policy: Policy) {
        guard let key = allowed.reuseKey, let seconds = allowed.reuseSeconds, seconds > 0, !allowed.terms.oneTime else { return }
        let now = clock.now()
        remembered.withLock { table in
            if table.count >= Self.maxRemembered { table = table.filter { $0.value.expiresAt > now } }
            guard table.count < Self.maxRemembered else { return }
            table[key] = Remembered(
                terms: allowed.terms, ruleNames: allowed.ruleNames, expiresAt: now + .seconds(seconds),
                policy: policy)
        }
    }
}
