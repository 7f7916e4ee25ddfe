import CountersignCore

/// RFC 8693 token exchange: the client presents the user's token from a trusted identity
/// provider (`subject_token`) and names an action; the decision runs on the user's claims,
/// and on allow the answer is an action token for that user, bound to exactly that action.
/// A missing `subject_token` never falls back to the client's identity.
public struct TokenExchangeGrant: GrantHandler {
    /// Token exchange (RFC 8693 §2.1).
    public let grantType = GrantType.tokenExchange

    static let tokenTypePrefix = "urn:ietf:params:oauth:token-type:"
    /// Subject and actor token types we verify: each is a JWT of a trusted issuer.
    static let acceptedTokenTypes: Set<String> = ["jwt", "access_token", "id_token"].reduce(into: []) {
        $0.insert(tokenTypePrefix + $1)
    }
    static let accessTokenType = tokenTypePrefix + "access_token"

    let verifier: SubjectTokenVerifier
    let issuance: ActionIssuance

    /// The grant, verifying subject and actor tokens with `verifier`.
    public init(verifier: SubjectTokenVerifier, issuance: ActionIssuance) {
        self.verifier = verifier
        self.issuance = issuance
    }

    /// Answers one token exchange (RFC 8693 §2.2): an action token, or the policy's refusal.
    public func handle(
        _ params: FormParameters, client: OAuthClient, context: TokenRequestContext
    )
        async throws(OAuthError) -> OAuthResponse
    {
        guard let subjectToken = params["subject_token"] else { throw .invalidRequest("subject_token is required") }
        guard let subjectType = params["subject_token_type"] else { throw .invalidRequest("subject_token_type is required") }
        guard Self.acceptedTokenTypes.contains(subjectType) else {
            throw .invalidRequest("subject_token_type must be \(Self.tokenTypePrefix)jwt, access_token or id_token")
        }
        if let requested = params["requested_token_type"], requested != Self.accessTokenType, requested != Self.tokenTypePrefix + "jwt" {
            throw .invalidRequest("requested_token_type must be \(Self.accessTokenType); no other type is issued")
        }
        var actor: PersonIdentity?
        switch (params["actor_token"], params["actor_token_type"]) {
        case (nil, nil): break
        case (_?, nil): throw .invalidRequest("actor_token_type is required with actor_token")
        case (nil, _?): throw .invalidRequest("actor_token_type was given without actor_token")
        case (let token?, let type?):
            guard Self.acceptedTokenTypes.contains(type) else {
                throw .invalidRequest("actor_token_type must be \(Self.tokenTypePrefix)jwt, access_token or id_token")
            }
            // The actor is a person like the subject: by `iss` and `sub`, and its name claims, none
            // of whom may approve what it asks for (docs/APPROVALS.md).
            actor = try await verifier.verify(token, parameter: "actor_token").identity
        }
        let subject = try await verifier.verify(subjectToken, parameter: "subject_token")
        guard let request = try await issuance.read(params, client: client) else {
            throw .invalidRequest("name the action: authorization_details, or a scope equal to an action name")
        }
        return try await issuance.issue(
            request,
            to: ActionSubject(
                sub: subject.sub, issuer: subject.issuer.issuer, claims: subject.policyClaims, acr: subject.acr,
                authTime: subject.authTime, actor: actor),
            client: client, grantType: grantType, context: context, issuedTokenType: Self.accessTokenType)
    }
}
