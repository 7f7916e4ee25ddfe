import Crypto

/// The life of an approval request, as a pure state machine: each event checks the request
/// as it is, changes it, and returns a `Transition` with every effect for the owner to carry
/// out (`ApprovalService`): store the changed request with its audit records and the outbox
/// rows of the notifications it calls for in one transaction (the store re-reads the request
/// inside that transaction, so concurrent votes are applied one after another, never lost or
/// doubled), then tell the listeners of the change.
///
/// ```mermaid
/// stateDiagram-v2
///     [*] --> pending: decision "approve"
///     pending --> pending: vote approve (quorum not reached)
///     pending --> pending: vote deny (no deny quorum reached)
///     pending --> approved: vote approve (every quorum reached)
///     pending --> denied: vote deny (some requirement's deny quorum reached; 1 by default)
///     pending --> expired: expires_at passed (on read, or the sweeper)
///     pending --> cancelled: cancel
///     approved --> redeemed: the client's poll issues the token (once)
///     approved --> expired: not redeemed before expires_at
///     denied --> [*]
///     expired --> [*]
///     cancelled --> [*]
///     redeemed --> [*]
/// ```
extension ApprovalRequest {
    /// A change of the request and every effect it has besides storing the changed request.
    public struct Transition: Sendable, Equatable {
        /// The state before the transition.
        public var from: State
        /// The state after it; the same as `from` for a vote that decides nothing.
        public var to: State
        /// In order: the audit records and the notifications (outbox rows) committed with it.
        public var effects: [Effect]
        /// What the listeners are told once it is committed.
        public var change: ApprovalChange.Kind

        /// A transition of `request` (as it is after the change) recording `audit`, with the
        /// notifications that change calls for (`NotificationPlan`).
        init(from: State, to: State, audit: [AuditRecord], change: ApprovalChange.Kind, of request: ApprovalRequest) {
            self.from = from
            self.to = to
            self.change = change
            effects =
                audit.map(Effect.audit)
                + NotificationPlan.intents(for: ApprovalChange(kind: change, request: request)).map(Effect.notify)
        }

        /// The audit records to append in the transaction.
        public var audit: [AuditRecord] {
            effects.compactMap { if case .audit(let record) = $0 { record } else { nil } }
        }

        /// The notifications to write to the outbox in the transaction.
        public var notifications: [NotificationIntent] {
            effects.compactMap { if case .notify(let intent) = $0 { intent } else { nil } }
        }
    }

    /// One effect of a transition, carried out in the transaction that stores it.
    public enum Effect: Sendable, Equatable {
        case audit(AuditRecord)
        case notify(NotificationIntent)
    }

    /// A new request's own transition: recording its decision (`audit`) and announcing it.
    public func opening(audit: [AuditRecord]) -> Transition {
        Transition(from: state, to: state, audit: audit, change: .requested, of: self)
    }

    /// The state as of `now`: a pending or approved (unredeemed) request past its expiry has
    /// expired, whether or not the sweeper has written it yet.
    public func state(at now: Instant) -> State {
        switch state {
        case .pending, .approved: now >= expiresAt ? .expired : state
        default: state
        }
    }

    /// Casts `approver`'s vote. Membership is judged now, from the approver's current claims
    /// and the policy's current groups; the requester, under any of their names, never counts.
    public mutating func cast(
        _ verdict: Vote.Verdict, reason: String?, by approver: Approver, groups: [String: ApproverGroup], now: Instant
    ) throws(ApprovalRefusal) -> Transition {
        let current = state(at: now)
        guard current == .pending else { throw ApprovalRefusal(.conflict, settledMessage(current)) }
        if let earlier = votes.first(where: { $0.approver == approver.name }) {
            throw ApprovalRefusal(
                .conflict, "you already \(earlier.verdict == .approve ? "approved" : "denied") at \(Self.time(earlier.at))")
        }
        let eligible = eligibleRequirements(for: approver, groups: groups)
        guard !eligible.isEmpty else { throw ApprovalRefusal(.forbidden, ineligibleMessage(approver)) }
        let trimmed = reason?.trimmingWhitespace()
        if eligible.contains(where: { approvals[$0].reasonRequired }), (trimmed ?? "").isEmpty {
            throw ApprovalRefusal(.invalid, "a reason is required to decide this request")
        }
        let vote = Vote(
            approver: approver.name, verdict: verdict, reason: trimmed.flatMap { $0.isEmpty ? nil : $0 }, at: now,
            requirements: eligible)
        votes.append(vote)
        var audit = [
            AuditRecord(
                type: "approval.voted", actor: "user:\(approver.name)",
                data: [
                    "request_id": .string(id), "verdict": .string(verdict.rawValue), "reason": .optional(vote.reason),
                    "counts_for": .array(eligible.map { .string(approvals[$0].approver.description) }),
                ])
        ]
        let settled: State? =
            switch verdict {
            case .approve: isQuorumReached ? .approved : nil
            case .deny: isDenyQuorumReached ? .denied : nil
            }
        guard let settled else { return Transition(from: .pending, to: .pending, audit: audit, change: .voted, of: self) }
        state = settled
        decidedAt = now
        var data: [String: JSONValue] = [
            "request_id": .string(id), "client_id": .string(clientID), "sub": .string(subject),
            "approvers": .array(votes.filter { $0.verdict == .approve }.map { .string($0.approver) }),
        ]
        if settled == .denied { data["deniers"] = .array(votes.filter { $0.verdict == .deny }.map { .string($0.approver) }) }
        audit.append(AuditRecord(type: "approval.\(settled.rawValue)", actor: "user:\(approver.name)", data: data))
        return Transition(from: .pending, to: settled, audit: audit, change: .decided, of: self)
    }

    /// Every requirement counts enough distinct approvals.
    public var isQuorumReached: Bool {
        approvals.indices.allSatisfy { distinctVoters(.approve, for: $0) >= approvals[$0].quorum }
    }

    /// Some requirement counts enough distinct denials (its `deny_quorum`, 1 unless the rule
    /// says otherwise). Whether the approval quorum can still be reached is not judged: a
    /// group derived from claims has no known size, so such a request simply expires.
    public var isDenyQuorumReached: Bool {
        approvals.indices.contains { distinctVoters(.deny, for: $0) >= approvals[$0].denyQuorum }
    }

    /// How many distinct approvers cast `verdict` while eligible for requirement `index`: one
    /// vote counts toward every requirement its voter was eligible for (`Vote.requirements`).
    public func distinctVoters(_ verdict: Vote.Verdict, for index: Int) -> Int {
        Set(votes.lazy.filter { $0.verdict == verdict && $0.requirements.contains(index) }.map(\.approver)).count
    }

    /// Writes down an expiry that has already happened; nil when there is none to write.
    public mutating func expire(now: Instant) -> Transition? {
        let from = state
        guard state(at: now) == .expired, from != .expired else { return nil }
        state = .expired
        decidedAt = decidedAt ?? expiresAt
        return Transition(
            from: from, to: .expired,
            audit: [
                AuditRecord(
                    type: "approval.expired", actor: "server",
                    data: ["request_id": .string(id), "client_id": .string(clientID), "was": .string(from.rawValue)])
            ], change: .decided, of: self)
    }

    /// The client redeems an approved request for its token (`tokenID` is the token's `jti`).
    public mutating func redeem(tokenID: String, now: Instant) throws(ApprovalRefusal) -> Transition {
        let current = state(at: now)
        guard current == .approved else { throw ApprovalRefusal(.conflict, settledMessage(current)) }
        state = .redeemed
        redeemedAt = now
        self.tokenID = tokenID
        return Transition(
            from: .approved, to: .redeemed,
            audit: [
                AuditRecord(
                    type: "approval.redeemed", actor: "client:\(clientID)",
                    data: ["request_id": .string(id), "jti": .string(tokenID)])
            ], change: .redeemed, of: self)
    }

    /// Withdraws a pending request.
    public mutating func cancel(by actor: String, now: Instant) throws(ApprovalRefusal) -> Transition {
        let current = state(at: now)
        guard current == .pending else { throw ApprovalRefusal(.conflict, settledMessage(current)) }
        state = .cancelled
        decidedAt = now
        return Transition(
            from: .pending, to: .cancelled,
            audit: [AuditRecord(type: "approval.cancelled", actor: actor, data: ["request_id": .string(id)])],
            change: .decided, of: self)
    }

    /// Whether `approver` could be someone who asked: the subject or the actor, under any name
    /// and any look-alike of one (`PersonIdentity.couldBe`). Only ever refuses.
    public func isRequester(_ approver: Approver) -> Bool {
        subjectIdentity.couldBe(approver) || (actorIdentity?.couldBe(approver) ?? false)
    }

    /// Whether `approver` may give the owner's own confirmation: exactly the subject, as the
    /// alias `ISSUER#SUB` byte for byte (`PersonIdentity.isExactly`; a user named with
    /// `login_hint` carries this server's issuer), and by no name possibly the actor. A user who
    /// shares the bare name, or a name that differs only in case, is someone else; a client
    /// acting as itself has no issuer, so nobody can confirm for it.
    func isOwner(_ approver: Approver) -> Bool {
        subjectIdentity.isExactly(approver) && !(actorIdentity?.couldBe(approver) ?? false)
    }

    /// The positions of the requirements `approver` may vote for right now.
    public func eligibleRequirements(for approver: Approver, groups: [String: ApproverGroup]) -> [Int] {
        let requester = isRequester(approver)
        return approvals.indices.filter { index in
            switch approvals[index].approver {
            case .group(let name):
                // Never the requester, whatever groups they are in.
                return !requester && (groups[name]?.contains(sub: approver.name, claims: approver.claims) ?? false)
            case .subject:
                return isOwner(approver)
            }
        }
    }

    /// The `approval` claim of the token issued for this request: who approved, digests of
    /// their reasons (the reasons themselves stay in the audit log), and when. Nil for a
    /// backchannel request the policy allowed at once: nobody approved it.
    public var approvalClaim: JSONValue? {
        guard !approvals.isEmpty else { return nil }
        let approving = votes.filter { $0.verdict == .approve }
        return [
            "request_id": .string(id),
            "approvers": .array(approving.map { .string($0.approver) }),
            "reasons": .array(
                approving.map { vote in
                    vote.reason.map { .string(SHA256.hash(data: Array($0.utf8)).hexString) } ?? .null
                }),
            "approved_at": .number(JSONNumber((decidedAt ?? .epoch).secondsSince1970)),
        ]
    }

    func ineligibleMessage(_ approver: Approver) -> String {
        if isRequester(approver) && approvals.allSatisfy({ $0.approver != .subject }) {
            return "you requested this action; someone else must approve it"
        }
        var reasons: [String] = []
        for requirement in approvals {
            switch requirement.approver {
            case .group(let g): reasons.append("you are not in group \(g)")
            case .subject: reasons.append("only \(subject), who asked for this action, can confirm it")
            }
        }
        return reasons.joined(separator: "; ")
    }

    func settledMessage(_ current: State) -> String {
        switch current {
        case .pending: "this request is still pending"
        case .approved: "this request was already approved at \(Self.time(decidedAt))"
        case .denied: "this request was already denied at \(Self.time(decidedAt))"
        case .expired: "this request expired at \(Self.time(expiresAt))"
        case .cancelled: "this request was cancelled at \(Self.time(decidedAt))"
        case .redeemed: "this request was already redeemed at \(Self.time(redeemedAt))"
        }
    }

    static func time(_ instant: Instant?) -> String { (instant ?? .epoch).rfc3339 }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
