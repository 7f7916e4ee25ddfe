import CountersignCore

/// What a token request asks to do, read against the policy in force: the actions it names
/// (`authorization_details`, and scope tokens equal to an action name), the rest of its scope,
/// and the resource server the token will be for (`CheckActionAudience`).
struct ActionRequest: Sendable {
    /// The policy the actions were read against; the decision uses the same one.
    var policy: Policy
    var actions: [RequestedAction]
    var scopes: [String]
    var audience: ActionAudience

    /// Reads the actions a request names; nil when it names none. Without a policy in force the
    /// server cannot tell what names an action, so a request with `authorization_details` or a
    /// `scope` is 503 (docs/POLICY.md, "No policy"); one with neither is nil.
    static func read(
        _ params: FormParameters, client: OAuthClient, policies: any PolicySource, directory: ClientDirectory
    )
        async throws(OAuthError) -> ActionRequest?
    {
        guard let policy = policies.currentPolicy else {
            if params["authorization_details"] != nil || params["scope"] != nil {
                throw OAuthError.unavailable(detail: "no policy is loaded")
            }
            return nil
        }
        let (actions, scopes) = try requested(params, client: client, policy: policy)
        guard !actions.isEmpty else { return nil }
        let audience = try await audience(params, for: actions, directory: directory)
        return ActionRequest(policy: policy, actions: actions, scopes: scopes, audience: audience)
    }

    /// The actions a request names and the rest of its scope, checked against the client's
    /// registered scopes.
    static func requested(
        _ params: FormParameters, client: OAuthClient, policy: Policy
    ) throws(OAuthError)
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
    static func audience(
        _ params: FormParameters, for actions: [RequestedAction], directory: ClientDirectory
    )
        async throws(OAuthError) -> ActionAudience
    {
        if let audience = params["audience"], let resource = params["resource"], audience != resource {
            throw OAuthError(.invalidTarget, "resource and audience name different resource servers")
        }
        return try await CheckActionAudience.audience(
            requested: params["resource"] ?? params["audience"], actions: actions, directory: directory)
    }
}
