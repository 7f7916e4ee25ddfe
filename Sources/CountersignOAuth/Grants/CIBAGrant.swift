import CountersignCore
import CountersignStore
import Crypto
import Synchronization

/// The CIBA token request (OpenID CIBA Core §10.1, poll and ping modes): the client polls with
/// the `auth_req_id` of an approval request (from `/bc-authorize`, or from the
/// `approval_required` answer of a token exchange) until people have decided, then redeems the
/// approved request once for a token bound to exactly what was approved (CIBA §11):
///
/// 1. the `auth_req_id` must be one this client holds (another client's is unknown to it), and
///    not one whose token is pushed (§10.3.1: a push request is never polled);
/// 2. pending → `authorization_pending`, or `slow_down` when polled faster than `interval`;
/// 3. denied or cancelled → `access_denied`; past its expiry → `expired_token`;
/// 4. approved → the token, its TTL counted from now, with the `approval` claim; the request
///    moves to `redeemed` in the same transaction that records `token.issued`;
/// 5. redeemed → `invalid_grant`, and the token issued at redemption is revoked (a replayed
///    `auth_req_id` means it leaked).
public struct CIBAGrant: GrantHandler {
    /// The CIBA grant type (OpenID CIBA Core §10.1).
    public let grantType = GrantType.ciba

    let approvals: any ApprovalRequestStore
    let steps: any ApprovalSteps
    let minter: AccessTokenMinter
    let revocations: RevocationList
    let clock: any WallClock
    let pacer = PollPacer()

    /// The grant over the stored requests; `steps` redeems them, `minter` issues their tokens.
    public init(
        approvals: any ApprovalRequestStore, steps: any ApprovalSteps, minter: AccessTokenMinter, revocations: RevocationList,
        clock: any WallClock
    ) {
        self.approvals = approvals
        self.steps = steps
        self.minter = minter
        self.revocations = revocations
        self.clock = clock
    }

    /// A client that can receive `approval_required` (token exchange, client credentials with
    /// an action) may poll for it without registering the CIBA grant itself.
    public func permits(_ client: OAuthClient) -> Bool {
        client.allows(.ciba) || client.allows(.tokenExchange) || client.allows(.clientCredentials)
    }

    static let unknown = "auth_req_id is unknown, or was issued to another client"

    /// Answers one poll (CIBA §10.1, §11).
    public func handle(
        _ params: FormParameters, client: OAuthClient, context: TokenRequestContext
    )
        async throws(OAuthError) -> OAuthResponse
    {
        guard let authReqID = params["auth_req_id"] else { throw .invalidRequest("auth_req_id is required") }
        guard authReqID.utf8.count <= 256 else { throw OAuthError(.invalidGrant, Self.unknown) }
        let hash = Array(SHA256.hash(data: Array(authReqID.utf8)))
        let found: ApprovalRequest?
        do { found = try await approvals.approvalRequest(authReqIDHash: hash) } catch {
            throw .unavailable(detail: "reading the approval request failed: \(error)")
        }
        // Another client's auth_req_id gets the very answer of an unknown one: no oracle.
        guard let request = found, request.clientID == client.id else { throw OAuthError(.invalidGrant, Self.unknown) }
        if request.delivery?.mode == .push {
            throw OAuthError(.unauthorizedClient, "this request's token is pushed to the client's notification endpoint, not polled")
        }
        let now = clock.now()
        switch request.state(at: now) {
        case .pending:
            if let interval = pacer.tooSoon(request.id, interval: request.interval, now: now) {
                var error = OAuthError(.slowDown, "polled sooner than the interval; wait \(interval) seconds between polls")
                error.members = [("interval", .number(JSONNumber(interval)))]
                throw error
            }
            throw OAuthError(.authorizationPending, "the approvers have not decided yet")
        case .expired:
            throw OAuthError(.expiredToken, "the approval request expired at \(request.expiresAt.rfc3339)")
        case .denied:
            throw OAuthError(.accessDenied, "the approvers denied this action")
        case .cancelled:
            throw OAuthError(.accessDenied, "the approval request was cancelled")
        case .redeemed:
            await revokeRedeemedToken(request)
            throw OAuthError(.invalidGrant, "auth_req_id was already redeemed; its token is revoked")
        case .approved:
            let issued = try await redeem(request, remoteAddress: context.remoteAddress, now: now)
            pacer.forget(request.id)
            return issued.response
        }
    }

    /// Issues the approved request's token, its TTL counted from now, and moves the request to
    /// `redeemed` in the transaction that records `token.issued`. Also how a push delivers: then
    /// `keeping` seals the token response for its outbox row, written in that same transaction,
    /// so a retry sends this very token and no second one is ever minted.
    public func redeem(
        _ request: ApprovalRequest, remoteAddress: String?, now: Instant,
        keeping payload: ((AccessTokenMinter.Issued) -> OutboxPayload)? = nil
    ) async throws(OAuthError) -> AccessTokenMinter.Issued {
        let (issued, record) = try minter.sign(
            subject: request.subject, audience: request.audience, clientID: request.clientID, scopes: request.scopes,
            lifetime: request.grant.tokenLifetime, grantType: grantType, remoteAddress: remoteAddress, now: now,
            action: .init(
                authorizationDetails: request.authorizationDetails, acr: nil, authTime: nil, act: request.actor,
                oneTime: request.grant.oneTime, approval: request.approvalClaim, audit: []))
        let jti = issued.claims.jti
        let kept = payload.map { [$0(issued)] } ?? []
        do {
            try await steps.apply(request.id, alsoRecorded: [record], payloads: kept) { current in
                try current.redeem(tokenID: jti, now: now)
            }
        } catch is ApprovalRefusal {
            // Redeemed (or expired) by a concurrent poll first: this token was never recorded
            // and is not handed out.
            throw OAuthError(.invalidGrant, "auth_req_id was already redeemed")
        } catch {
            throw .unavailable(detail: "redeeming the approval request failed: \(error)")
        }
        return issued
    }

    func revokeRedeemedToken(_ request: ApprovalRequest) async {
        guard let jti = request.tokenID, !revocations.contains(jti), let redeemedAt = request.redeemedAt else { return }
        // The token was signed at `redeemedAt` (see `redeem`), so it expires no later than this;
        // the revocation is kept until then and purged only once the token is dead anyway.
        let expiresAt = redeemedAt + .seconds(request.grant.tokenLifetime)
        try? await revocations.revoke(
            jti: jti, clientID: request.clientID, expiresAt: expiresAt,
            audit: AuditRecord(
                type: "token.revoked", actor: "server",
                data: ["jti": .string(jti), "client_id": .string(request.clientID), "reason": "auth_req_id replayed"]))
    }
}

/// When each pending request was last polled, to answer `slow_down` (CIBA §11, RFC 8628
/// §3.5: the interval grows by 5 seconds each time). Kept in memory: a replica that has not
/// seen earlier polls answers `authorization_pending`, which is still correct.
final class PollPacer: Sendable {
    struct Entry {
        var last: Instant
        var interval: Int
    }

    let entries = Mutex<[String: Entry]>([:])
    static let maxEntries = 100_000

    /// The interval to announce when this poll came too soon (and records it), else nil.
    func tooSoon(_ id: String, interval: Int, now: Instant) -> Int? {
        entries.withLock { table in
            if table.count >= Self.maxEntries { table.removeAll() }
            guard var entry = table[id] else {
                table[id] = Entry(last: now, interval: interval)
                return nil
            }
            // A little slack for network jitter: a poll 0.5 s early still counts as on time.
            if now - entry.last + .milliseconds(500) < .seconds(entry.interval) {
                entry.interval += 5
                entry.last = now
                table[id] = entry
                return entry.interval
            }
            entry.last = now
            table[id] = entry
            return nil
        }
    }

    func forget(_ id: String) {
        entries.withLock { _ = $0.removeValue(forKey: id) }
    }
}
