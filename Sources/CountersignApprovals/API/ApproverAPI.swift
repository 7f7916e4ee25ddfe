import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging

/// The approver API (`/api/v1/approval-requests…`, docs/APPROVALS.md): an approver, named by their
/// personal token, lists the requests they may decide, reads one, and approves or denies it
/// with a reason. Each refusal says why in words ("you requested this action", "you already
/// approved at …", "expired at …"): 403 `forbidden`, 409 `conflict`, 404 `not_found`.
public struct ApproverAPI: Sendable {
    let users: any UserStore
    let approvals: any ApprovalRequestStore
    let service: ApprovalService
    let audit: any AuditLog
    let policies: any PolicySource
    let serverKey: ServerKey
    let events: ApprovalEvents
    let clock: any WallClock
    /// This server's issuer: a user of the store is, to it, `ISSUER#NAME`.
    let ownIssuer: String
    /// Failed authentications per address, shared with client authentication (RFC 6749 §10.10).
    let throttle: FailedAuthenticationThrottle
    let logger: Logger

    /// The API over the stores and the service; `ownIssuer` names this server as the issuer of `login_hint` users.
    public init(
        users: any UserStore, approvals: any ApprovalRequestStore, service: ApprovalService, audit: any AuditLog,
        policies: any PolicySource, serverKey: ServerKey, events: ApprovalEvents, ownIssuer: String, clock: any WallClock,
        throttle: FailedAuthenticationThrottle = .init(), logger: Logger = Logger(label: "countersign.approver-api")
    ) {
        self.throttle = throttle
        self.logger = logger
        self.ownIssuer = ownIssuer
        self.events = events
        self.users = users
        self.approvals = approvals
        self.service = service
        self.audit = audit
        self.policies = policies
        self.serverKey = serverKey
        self.clock = clock
    }

    /// Request bodies over this size are refused.
    public static let maxBodyBytes = 16 * 1024
    /// Longer ids are not looked up.
    static let maxIDLength = 64
    /// The most requests one listing returns.
    static let listLimit = 200

    /// `user` as an approver: besides their own aliases, they are `ISSUER#NAME` with this
    /// server as the issuer, the name a `login_hint` subject is recorded under.
    func approver(for user: User) -> Approver {
        var approver = user.approver
        approver.aliases.append("\(ownIssuer)#\(user.name)")
        return approver
    }

    /// The approver behind `Authorization: Bearer <personal token>`, sent from `address`. Each
    /// failure is logged with the address and counted against it: past the limit every attempt
    /// from there is 429 with `Retry-After` until the window passes, and the burst that reached
    /// the limit is audited (`authentication.throttled`).
    public func authenticate(_ authorization: [String], from address: String?) async throws(OAuthError) -> User {
        if let seconds = throttle.retryAfter(address) { throw .approverThrottled(seconds) }
        do {
            return try await currentUser(authorization)
        } catch  where error.status == 401 {
            logger.notice("approver authentication failed", metadata: ["ip": "\(address ?? "unknown")"])
            await throttle.recordFailure(address, kind: "approver")
            throw error
        }
    }

    /// The user a personal token names now (nil → 401): enabled, and the token still theirs.
    /// Not counted against the address: a live stream re-checks its listener with it.
    public func currentUser(_ authorization: [String]) async throws(OAuthError) -> User {
        guard authorization.count == 1, let header = authorization.first, header.utf8.count <= 512,
            header.lowercased().hasPrefix("bearer ")
        else { throw .unauthenticatedApprover }
        let token = String(header.dropFirst("bearer ".count))
        guard token.hasPrefix(PersonalToken.prefix) else { throw .unauthenticatedApprover }
        let user: User?
        do { user = try await users.user(tokenHash: PersonalToken.hash(token, serverKey: serverKey)) } catch {
            throw .approvalStoreUnavailable
        }
        guard let user, !user.disabled else { throw .unauthenticatedApprover }
        return user
    }

    /// `GET /api/v1/approval-requests?state=…`: the requests this approver may decide (with
    /// `state=pending`, the default) or has decided.
    public func list(state: String?, for user: User) async throws(OAuthError) -> OAuthResponse {
        let wanted: ApprovalRequest.State?
        switch state {
        case nil: wanted = .pending
        case "all": wanted = nil
        case let name?:
            guard let parsed = ApprovalRequest.State(rawValue: name) else {
                throw OAuthError.api(
                    .invalidRequest, status: 400, "state must be one of pending, approved, denied, expired, cancelled, redeemed or all")
            }
            wanted = parsed
        }
        let now = clock.now()
        let groups = policies.currentPolicy?.groups ?? [:]
        let approver = self.approver(for: user)
        let visible: [ApprovalRequest]
        do {
            // Expired requests may still say pending in the store until the sweeper runs.
            visible = try await approvals.approvalRequests(state: wanted == .expired ? nil : wanted, limit: Self.listLimit) {
                request in (wanted == nil || request.state(at: now) == wanted) && Self.mayView(request, approver, groups: groups)
            }
        } catch {
            throw .approvalStoreUnavailable
        }
        return .json(
            JSONWriter.object([("approval_requests", .array(visible.map { $0.apiJSON(now: now) }))]),
            headers: [("Cache-Control", "no-store")])
    }

    /// `GET /api/v1/approval-requests/{id}`: one request, for an approver who may decide it or did.
    public func show(id: String, for user: User) async throws(OAuthError) -> OAuthResponse {
        let request = try await load(id)
        let now = clock.now()
        let groups = policies.currentPolicy?.groups ?? [:]
        guard Self.mayView(request, approver(for: user), groups: groups) else {
            throw OAuthError.api(.notFound, status: 404, "there is no approval request \(OAuthError.shown(id)) you may see")
        }
        return .json(JSONWriter.object(request.apiMembers(now: now)), headers: [("Cache-Control", "no-store")])
    }

    /// `POST /api/v1/approval-requests/{id}/approve|deny` with `{"reason": "…"}`.
    public func vote(id: String, verdict: Vote.Verdict, body: [UInt8], by user: User) async throws(OAuthError) -> OAuthResponse {
        let reason = try Self.reason(from: body)
        // The store reads the request inside its write transaction; no read before it.
        guard id.utf8.count <= Self.maxIDLength else { throw .approvalRequestNotFound(id) }
        let groups = policies.currentPolicy?.groups ?? [:]
        let approver = self.approver(for: user)
        let now = clock.now()
        let updated: ApprovalRequest
        do {
            updated = try await service.apply(id) { request in
                try request.cast(verdict, reason: reason, by: approver, groups: groups, now: now)
            }
        } catch let refusal as ApprovalRefusal {
            if refusal.kind == .forbidden {
                // A refused vote is itself worth an audit line (the requester trying to approve).
                try? await audit.append([
                    AuditRecord(
                        type: "approval.refused", actor: "user:\(user.name)",
                        data: ["request_id": .string(id), "verdict": .string(verdict.rawValue), "why": .string(refusal.message)])
                ])
            }
            let status =
                switch refusal.kind {
                case .forbidden: 403
                case .conflict: 409
                case .invalid: 400
                }
            let code: OAuthError.Code =
                switch refusal.kind {
                case .forbidden: .forbidden
                case .conflict: .conflict
                case .invalid: .invalidRequest
                }
            throw OAuthError.api(code, status: status, refusal.message)
        } catch StoreError.notFound {
            throw .approvalRequestNotFound(id)
        } catch StoreError.conflict {
            throw OAuthError.api(.conflict, status: 409, "you already voted on this request")
        } catch {
            throw .approvalStoreUnavailable
        }
        return .json(JSONWriter.object(updated.apiMembers(now: now)), headers: [("Cache-Control", "no-store")])
    }

    /// One server-sent event (HTML Living Standard §9.2) for `GET /api/v1/events`: the
    /// change's name and the request as the API shows it, or nil when this approver may not
    /// see the request (they neither may decide it nor voted on it).
    public func serverSentEvent(_ change: ApprovalChange, for user: User, sequence: Int) -> String? {
        let groups = policies.currentPolicy?.groups ?? [:]
        guard Self.mayView(change.request, approver(for: user), groups: groups) else { return nil }
        let data = JSONWriter.object(change.request.apiMembers(now: clock.now()))
        return "id: \(sequence)\nevent: \(change.eventName)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
    }

    /// An approver sees the requests they may decide now and those they voted on.
    static func mayView(_ request: ApprovalRequest, _ approver: Approver, groups: [String: ApproverGroup]) -> Bool {
        !request.eligibleRequirements(for: approver, groups: groups).isEmpty
            || request.votes.contains { $0.approver == approver.name }
    }

    func load(_ id: String) async throws(OAuthError) -> ApprovalRequest {
        guard id.utf8.count <= Self.maxIDLength else { throw .approvalRequestNotFound(id) }
        let found: ApprovalRequest?
        do { found = try await approvals.approvalRequest(id: id) } catch {
            throw .approvalStoreUnavailable
        }
        guard let found else { throw .approvalRequestNotFound(id) }
        return found
    }

    /// The body `{"reason": "…"}` (or empty): a reason of at most 1,000 characters.
    static func reason(from body: [UInt8]) throws(OAuthError) -> String? {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let bad = OAuthError.api(.invalidRequest, status: 400, #"the body must be a JSON object like {"reason": "…"}"#)
        guard body.count <= maxBodyBytes, let json = try? JSONParser().parse(body), let object = json.objectValue else {
            throw bad
        }
        guard let value = object["reason"] else { return nil }
        if value == .null { return nil }
        guard let reason = value.stringValue else {
            throw OAuthError.api(.invalidRequest, status: 400, "reason must be a string")
        }
        guard reason.count <= 1000 else {
            throw OAuthError.api(.invalidRequest, status: 400, "reason must be at most 1000 characters")
        }
        guard !reason.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F }) else {
            throw OAuthError.api(.invalidRequest, status: 400, "reason must not contain control characters")
        }
        return reason
    }
}

extension ApprovalRequest {
    /// The request as the approver API (and `countersign request show`) shows it: what is asked, by whom, under which rules,
    /// the votes so far, and its state now.
    public func apiMembers(now: Instant) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("state", .string(state(at: now).rawValue)), ("client_id", .string(clientID)),
            ("subject", .string(subject)),
        ]
        if let subjectIssuer { members.append(("subject_issuer", .string(subjectIssuer))) }
        if let actor { members.append(("act", actor)) }
        members += [
            ("authorization_details", authorizationDetails), ("audience", .string(audience)),
            ("rules", .array(ruleNames.map(JSONValue.string))), ("approvals", .array(approvals.map(\.json))),
            (
                "votes",
                .array(
                    votes.map { vote in
                        [
                            "approver": .string(vote.approver), "verdict": .string(vote.verdict.rawValue),
                            "reason": .optional(vote.reason), "at": .string(vote.at.rfc3339),
                        ]
                    })
            ),
            ("created_at", .string(createdAt.rfc3339)), ("expires_at", .string(expiresAt.rfc3339)),
        ]
        if let decidedAt { members.append(("decided_at", .string(decidedAt.rfc3339))) }
        if let bindingMessage { members.append(("binding_message", .string(bindingMessage))) }
        return members
    }

    /// `apiMembers` as one JSON object.
    public func apiJSON(now: Instant) -> JSONValue {
        .object(Dictionary(apiMembers(now: now), uniquingKeysWith: { first, _ in first }))
    }
}
