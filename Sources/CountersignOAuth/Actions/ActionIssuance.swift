import CountersignCore

/// Issuing for an action, one call per grant (client credentials, token exchange, backchannel
/// authentication): read what the request names (`ActionRequest`), decide (`ActionDecider`),
/// then mint a token bound to exactly those actions, or open the approval request the decision
/// asks for (`ApprovalOpening`).
public struct ActionIssuance: Sendable {
    let policies: any PolicySource
    let directory: ClientDirectory
    let decider: ActionDecider
    let opening: ApprovalOpening
    let minter: AccessTokenMinter

    init(
        policies: any PolicySource, directory: ClientDirectory, decider: ActionDecider, opening: ApprovalOpening,
        minter: AccessTokenMinter
    ) {
        self.policies = policies
        self.directory = directory
        self.decider = decider
        self.opening = opening
        self.minter = minter
    }

    /// The actions a request names, read against the policy in force; nil when it names none
    /// (`ActionRequest.read`, which says what happens while no policy is loaded).
    func read(_ params: FormParameters, client: OAuthClient) async throws(OAuthError) -> ActionRequest? {
        try await ActionRequest.read(params, client: client, policies: policies, directory: directory)
    }

    /// Decides and, on allow, mints the action token; an approval is answered `approval_required`
    /// with the request opened for it, and a deny or a step-up is thrown as its answer.
    func issue(
        _ request: ActionRequest, to subject: ActionSubject, client: OAuthClient, grantType: GrantType,
        context: TokenRequestContext, issuedTokenType: String? = nil
    ) async throws(OAuthError) -> OAuthResponse {
        let allowed: ActionDecider.Allowed
        switch try await decider.decide(
            request, subject: subject, client: client, remoteAddress: context.remoteAddress, backchannel: false)
        {
        case .allow(let terms): allowed = terms
        case .approval(let approval):
            throw try await opening.open(approval, for: request, subject: subject, client: client, backchannel: nil)
                .approvalRequired
        }
        var issued = try await minter.mint(
            subject: subject.sub, audience: request.audience.uri, clientID: client.id, scopes: request.scopes,
            lifetime: allowed.terms.tokenLifetime, grantType: grantType, remoteAddress: context.remoteAddress,
            action: .init(
                authorizationDetails: .array(request.actions.map(\.detail)), acr: subject.acr, authTime: subject.authTime,
                act: subject.act, oneTime: allowed.terms.oneTime, audit: allowed.audit))
        if let reuse = allowed.reuse {
            decider.reuse.remember(
                reuse.key, terms: allowed.terms, ruleNames: allowed.ruleNames, seconds: reuse.seconds, policy: request.policy)
        }
        issued.issuedTokenType = issuedTokenType
        return issued.response
    }

    /// Decides a backchannel authentication request (CIBA §7.1) and opens the request the
    /// client will redeem: it always waits for someone, at least its subject (`Backchannel`).
    func openBackchannel(
        _ request: ActionRequest, for subject: ActionSubject, client: OAuthClient, remoteAddress: String?,
        backchannel: ApprovalOpening.Backchannel
    ) async throws(OAuthError) -> ApprovalOpening.Pending {
        switch try await decider.decide(request, subject: subject, client: client, remoteAddress: remoteAddress, backchannel: true) {
        case .approval(let approval):
            return try await opening.open(approval, for: request, subject: subject, client: client, backchannel: backchannel)
        case .allow:
            throw .serverError(detail: "a backchannel decision returned a token instead of a request")
        }
    }
}
