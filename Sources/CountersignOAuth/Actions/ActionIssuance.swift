import CountersignCore

/// The steps an action token request shares across grants (client credentials, token exchange,
/// backchannel authentication): read the requested actions, decide, mint a token bound to exactly them.
public struct ActionIssuance: Sendable {
    let minter: AccessTokenMinter
    let decider: ActionDecider
    let directory: ClientDirectory

    public init(minter: AccessTokenMinter, decider: ActionDecider, directory: ClientDirectory) {
        self.minter = minter
        self.decider = decider
        self.directory = directory
    }

    /// The actions a request names (`authorization_details`, and scope tokens equal to an action
    /// name) and the rest of its scope, checked against the client's registered scopes.
    static func requested(_ params: FormParameters, client: OAuthClient, policy: Policy) throws(OAuthError)
        -> (actions: [RequestedAction], scopes: [String])
    {
        var actions: [RequestedAction] = []
        if let details = params["authorization_details"] {
            actions = try AuthorizationDetails.parse(details, policy: policy)
        }
        var scopes: [String] = []
        if let scope = params["scope"] {
            guard scope.utf8.count <= CheckScope.maxLength, let tokens = ClientRegistration.scopeTokens(scope) else {
                throw OAuthError(.invalidScope, "scope must be scope tokens separated by single spaces")
            }
            var plain: [String] = []
            for token in tokens.map(String.init) where !scopes.contains(token) {
                scopes.append(token)
                if let action = try AuthorizationDetails.fromScope(token, policy: policy) {
                    actions.append(action)
                } else {
                    plain.append(token)
                }
            }
            if !plain.isEmpty { _ = try CheckScope.granted(requested: plain.joined(separator: " "), client: client) }
        }
        guard actions.count <= AuthorizationDetails.maxEntries else {
            throw OAuthError(.invalidAuthorizationDetails, "a request may name at most \(AuthorizationDetails.maxEntries) actions")
        }
        return (actions, scopes)
    }

    /// The action token's audience (`CheckActionAudience`): RFC 8707 `resource`, or RFC 8693
    /// `audience` naming the same resource server, else the resource server covering the
    /// locations; never this authorization server.
    func audience(_ params: FormParameters, for actions: [RequestedAction]) async throws(OAuthError) -> ActionAudience {
        if let audience = params["audience"], let resource = params["resource"], audience != resource {
            throw OAuthError(.invalidTarget, "resource and audience name different resource servers")
        }
        return try await CheckActionAudience.audience(
            requested: params["resource"] ?? params["audience"], actions: actions, directory: directory)
    }

    /// Decides and, on allow, mints the action token; any other outcome is thrown as its answer.
    func issue(
        subject: ActionSubject, client: OAuthClient, actions: [RequestedAction], scopes: [String], audience: ActionAudience,
        grantType: GrantType, context: TokenRequestContext, policy: Policy, issuedTokenType: String? = nil
    ) async throws(OAuthError) -> OAuthResponse {
        let allowed: ActionDecider.Allowed
        switch try await decider.decide(
            subject: subject, client: client, actions: actions, audience: audience, scopes: scopes,
            remoteAddress: context.remoteAddress, policy: policy)
        {
        case .allow(let terms): allowed = terms
        case .pending(let pending): throw pending.approvalRequired
        }
        let lifetime = allowed.terms.tokenLifetime
        var issued = try await minter.mint(
            subject: subject.sub, audience: audience.uri, clientID: client.id, scopes: scopes, lifetime: lifetime,
            grantType: grantType, remoteAddress: context.remoteAddress,
            action: .init(
                authorizationDetails: .array(actions.map(\.detail)), acr: subject.acr, authTime: subject.authTime,
                act: subject.act, oneTime: allowed.terms.oneTime, audit: allowed.audit))
        decider.remember(allowed, policy: policy)
        issued.issuedTokenType = issuedTokenType
        return issued.response
    }
}
