import CountersignCore
import CountersignStore
import Crypto

/// Opens the approval request a decision asks for, which the client then polls (or is notified
/// about) by its `auth_req_id`: pending until people approve it, or already approved when a
/// backchannel request was allowed at once.
struct ApprovalOpening: Sendable {
    let steps: any ApprovalSteps
    let clock: any WallClock

    /// Seconds between two polls of an approval request (CIBA §7.3 `interval`).
    static let pollInterval = 5

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

    /// Stores the request with its decision and `approval.requested` events, then tells the
    /// listeners.
    func open(
        _ approval: ActionDecider.Approval, for request: ActionRequest, subject: ActionSubject, client: OAuthClient,
        backchannel: Backchannel?
    ) async throws(OAuthError) -> Pending {
        let now = clock.now()
        let authReqID = backchannel?.authReqID ?? TokenID.generateLong()
        let combined = approval.combined
        var approvals = combined.outcome == .approve ? combined.requirements.approvals : []
        var expiresIn = approvals.map(\.expiresIn).min() ?? ApprovalRequirement.defaultExpiresIn
        // CIBA §7.1 requested_expiry: shorter or longer as the client asks, never beyond the rule.
        if let requested = backchannel?.requestedExpiry { expiresIn = min(expiresIn, requested) }
        if let backchannel, backchannel.needsSubjectConfirmation, !approvals.contains(where: { $0.approver == .subject }) {
            approvals.append(ApprovalRequirement(approver: .subject, quorum: 1, denyQuorum: 1, expiresIn: expiresIn))
        }
        var stored = ApprovalRequest(
            id: Self.requestID(), authReqIDHash: Array(SHA256.hash(data: Array(authReqID.utf8))), clientID: client.id,
            subject: subject.sub, subjectIssuer: subject.issuer, actor: subject.act,
            authorizationDetails: .array(request.actions.map(\.detail)), audience: request.audience.uri,
            scopes: request.scopes, approvals: approvals, grant: combined.requirements.grant, ruleNames: approval.ruleNames,
            createdAt: now, expiresAt: now + .seconds(expiresIn), interval: Self.pollInterval,
            subjectAliases: subject.identity.names, actorAliases: subject.actor?.names ?? [],
            bindingMessage: backchannel?.bindingMessage, delivery: backchannel?.delivery)
        if approvals.isEmpty {
            stored.state = .approved
            stored.decidedAt = now
        }
        let requested = AuditRecord(
            type: "approval.requested", actor: subject.auditName,
            data: [
                "request_id": .string(stored.id), "client_id": .string(client.id), "sub": .string(subject.sub),
                "iss": .optional(subject.issuer), "actions": .array(request.actions.map { .string($0.action) }),
                "approvals": .array(stored.approvals.map(\.json)),
                "expires_at": .number(JSONNumber(stored.expiresAt.millisecondsSince1970)),
                "state": .string(stored.state.rawValue),
                "delivery": .string(stored.delivery?.mode.rawValue ?? BackchannelDelivery.Mode.poll.rawValue),
            ])
        var records = [approval.record, requested]
        if let backchannel, !backchannel.needsSubjectConfirmation {
            // A client trusted to assert its users named this one; each such use is on record.
            records.append(
                AuditRecord(
                    type: "ciba.user_asserted", actor: "client:\(client.id)",
                    data: [
                        "request_id": .string(stored.id), "client_id": .string(client.id), "sub": .string(subject.sub),
                        "iss": .optional(subject.issuer),
                    ]))
        }
        do {
            try await steps.open(stored, audit: records)
        } catch {
            throw OAuthError.unavailable(detail: "storing the approval request failed: \(error)")
        }
        return Pending(request: stored, authReqID: authReqID, expiresIn: expiresIn, interval: Self.pollInterval)
    }

    /// An approval request's id: 128 random bits, base64url, never starting with `-`, so that
    /// `countersign request show ID` and `approve ID` do not read it as an option.
    static func requestID() -> String {
        while true {
            let id = TokenID.generate()
            if id.first != "-" { return id }
        }
    }
}
