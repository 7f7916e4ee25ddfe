import CountersignCore
import CountersignStore
import Crypto

/// The decision at the token endpoint (docs/ARCHITECTURE.md): evaluates every requested action
/// (for each of its locations) against the policy with the request's IP and time, combines the
/// decisions (`Decision.combine`), records the decision with its explanation in the audit
/// chain, and answers: allow → the terms to mint with; deny → `access_denied` with the policy's
/// reason; step-up → `insufficient_user_authentication` with `acr_values`/`max_age` (RFC 9470);
/// approval → the terms of the approval request to open.
final class ActionDecider: Sendable {
    /// What an allowed request is issued with.
    struct Allowed: Sendable {
        var terms: GrantTerms
        var ruleNames: [String]
        /// `decision` (or `decision.reused`) events, appended with `token.issued`.
        var audit: [AuditRecord]
        /// Where the allow may be kept for reuse once its token is issued, and for how long.
        var reuse: (key: String, seconds: Int)?
    }

    /// A decision that waits for people: the approval request to open, and its decision event.
    struct Approval: Sendable {
        var combined: Decision.Combined
        var ruleNames: [String]
        var record: AuditRecord
    }

    /// What a decision leads to, besides the refusals it throws.
    enum Outcome: Sendable {
        /// Mint the token now.
        case allow(Allowed)
        /// Open an approval request (a backchannel request always waits, even when allowed).
        case approval(Approval)
    }

    let audit: any AuditLog
    let reuse: DecisionReuse
    let clock: any WallClock

    init(audit: any AuditLog, clock: any WallClock) {
        self.audit = audit
        self.reuse = DecisionReuse(clock: clock)
        self.clock = clock
    }

    /// Decides; returns the terms for an allow or an approval, and throws the OAuth answer for a
    /// deny or a step-up once its decision event is durable. `backchannel`: the request waits
    /// for its subject (CIBA), so even an allow opens a request and nothing is reused.
    func decide(
        _ request: ActionRequest, subject: ActionSubject, client: OAuthClient, remoteAddress: String?, backchannel: Bool
    ) async throws(OAuthError) -> Outcome {
        let now = clock.now()
        let policy = request.policy
        let actions = request.actions
        let digest = Self.digest(
            subject: subject, client: client.id, details: .array(actions.map(\.detail)), audience: request.audience.uri)
        // Only worked out when a rule of these actions can grant reuse at all.
        let mayReuse = !backchannel && actions.contains { policy.rules(for: $0.action).contains { $0.grant?.reuse != nil } }
        let reuseKey = mayReuse ? DecisionReuse.key(digest: digest, subject: subject, remoteAddress: remoteAddress) : nil
        if let reuseKey, let hit = reuse.recall(reuseKey, policy: policy, now: now) {
            let record = AuditRecord(
                type: "decision.reused", actor: subject.auditName,
                data: [
                    "client_id": .string(client.id), "outcome": "allow", "rules": .array(hit.ruleNames.map(JSONValue.string)),
                    "actions": .array(actions.map { .string($0.action) }), "context_digest": .string(digest),
                    "ip": .optional(remoteAddress),
                ])
            return .allow(Allowed(terms: hit.terms, ruleNames: hit.ruleNames, audit: [record], reuse: nil))
        }

        let outcomes = try evaluate(request, subject: subject, client: client, remoteAddress: remoteAddress, now: now)
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
                "aud": .string(request.audience.uri), "context_digest": .string(digest), "ip": .optional(remoteAddress),
            ],
            rendered: [("explanation", Self.explanations(outcomes, policy: policy))])

        switch combined.outcome {
        case .allow where !backchannel:
            // A decision that needed a fresh enough authentication is never reused: its answer
            // changes as auth_time ages. A satisfied step-up leaves its requirement on the single
            // decision only (the combined allow does not carry it).
            let neededStepUp = outcomes.contains { $0.decision.requirements.stepUp != nil }
            let seconds = neededStepUp ? nil : combined.requirements.grant.reuse
            return .allow(
                Allowed(
                    terms: combined.requirements.grant, ruleNames: ruleNames, audit: [record],
                    reuse: reuseKey.flatMap { key in seconds.map { (key, $0) } }))
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
            return .approval(Approval(combined: combined, ruleNames: ruleNames, record: record))
        }
    }

    /// Each (action, location) pair of the request decided on its own; a value of the wrong
    /// type for a comparison refuses the entry that carried it.
    func evaluate(
        _ request: ActionRequest, subject: ActionSubject, client: OAuthClient, remoteAddress: String?, now: Instant
    )
        throws(OAuthError) -> [(request: DecisionRequest, decision: Decision)]
    {
        let evaluator = PolicyEvaluator(policy: request.policy)
        let ip = remoteAddress.flatMap(IPAddress.init)
        var outcomes: [(request: DecisionRequest, decision: Decision)] = []
        for (index, action) in request.actions.enumerated() {
            let resources: [String?] = action.locations.isEmpty ? [nil] : action.locations.map(\.uri)
            for resource in resources {
                let decisionRequest = DecisionRequest(
                    subject: .init(sub: subject.sub, claims: subject.claims),
                    client: .init(id: client.id, attributes: ["scopes": .list(client.scopes.map(PolicyValue.string))]),
                    action: action.action, resource: resource, context: action.context, ip: ip, time: now.secondsSince1970)
                do {
                    outcomes.append((decisionRequest, try evaluator.decide(decisionRequest)))
                } catch {
                    throw OAuthError(.invalidAuthorizationDetails, "authorization_details[\(index)]: \(error.description)")
                }
            }
        }
        return outcomes
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

    /// The names of the rules that matched, each once, in the order of the decisions.
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
}
