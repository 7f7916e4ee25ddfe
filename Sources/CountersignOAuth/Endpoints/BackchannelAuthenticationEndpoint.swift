import CountersignCore
import CountersignStore
import Logging

/// `POST /bc-authorize`, the backchannel authentication endpoint (OpenID CIBA Core 1.0 §7).
/// The steps, in order:
/// 1. POST only; a form-encoded body, strictly parsed;
/// 2. the client authenticates (never a public client, §7.1) and is registered for the CIBA grant;
/// 3. exactly one hint names the subject: `login_hint` (a user of this server),
///    `login_hint_token` or `id_token_hint` (a token of a trusted issuer);
/// 4. `binding_message` short and printable (`invalid_binding_message`), `requested_expiry`
///    a positive integer of seconds;
/// 5. a ping or push client sends a `client_notification_token` (RFC 6750 §2.1, at most 1,024
///    characters);
/// 6. the subject is resolved (`unknown_user_id`, `expired_login_hint_token`);
/// 7. the action, from `authorization_details` or a `scope` naming it, and its audience: the
///    resource server that will act on it (`CheckActionAudience`);
/// 8. the decision runs at once: deny → 403 `access_denied`; step-up → 400
///    `insufficient_user_authentication`; otherwise a pending request that the subject must
///    confirm on their own device (a hint names the user, it does not authenticate them), with
///    whatever approvals the policy asks besides; only a client trusted to assert its users
///    (`OAuthClient.assertsUsers`) skips the confirmation, and then an allow is a request the
///    first poll redeems (or that is pinged or pushed at once). The answer is `auth_req_id`,
///    `expires_in` and `interval` (§7.3).
public struct BackchannelAuthenticationEndpoint: Sendable {
    /// RFC 6750 §2.1 allows longer bearer tokens; CIBA §7.1 caps this one at 1,024.
    static let maxNotificationTokenLength = 1024
    static let maxBindingMessageLength = 100
    /// A year: the rule's `expires_in` caps it further.
    static let maxRequestedExpiry = 365 * 24 * 3600

    let authenticator: ClientAuthenticator
    let issuance: ActionIssuance
    let subjects: SubjectTokenVerifier
    let users: any UserStore
    let serverKey: ServerKey
    let ownIssuer: String
    let logger: Logger

    /// The endpoint; `users` are the people `login_hint` names, `ownIssuer` vouches for them.
    public init(
        authenticator: ClientAuthenticator, issuance: ActionIssuance, subjects: SubjectTokenVerifier,
        users: any UserStore, serverKey: ServerKey, ownIssuer: String, logger: Logger
    ) {
        self.authenticator = authenticator
        self.issuance = issuance
        self.subjects = subjects
        self.users = users
        self.serverKey = serverKey
        self.ownIssuer = ownIssuer
        self.logger = logger
    }

    /// Answers one backchannel authentication request: CIBA §7.3 on success, §13 on refusal.
    public func handle(_ request: OAuthRequest) async -> OAuthResponse {
        await OAuthError.rendering(endpoint: "bc-authorize", logger: logger) { () async throws(OAuthError) in
            try await respond(request)
        }
    }

    func respond(_ request: OAuthRequest) async throws(OAuthError) -> OAuthResponse {
        try RequestChecks.requirePOST(request)
        // binding_message's control characters are refused below as invalid_binding_message.
        let params = try RequestChecks.formParameters(request, ownChecks: ["binding_message"])
        let (client, _) = try await authenticator.authenticate(request, params, allowPublic: false)
        guard client.allows(.ciba) else {
            throw OAuthError(.unauthorizedClient, "this client is not registered for the CIBA grant")
        }
        let hint = try Self.hint(params)
        let bindingMessage = try Self.bindingMessage(params["binding_message"])
        let requestedExpiry = try Self.requestedExpiry(params["requested_expiry"])
        let authReqID = TokenID.generateLong()
        let delivery = try delivery(for: client, notificationToken: params["client_notification_token"], authReqID: authReqID)
        let subject = try await resolve(hint)

        guard let actionRequest = try await issuance.read(Self.withoutOpenID(params), client: client) else {
            throw .invalidRequest("name the action: authorization_details, or a scope equal to an action name")
        }
        let pending: ApprovalOpening.Pending
        do {
            pending = try await issuance.openBackchannel(
                actionRequest, for: subject, client: client, remoteAddress: request.remoteAddress,
                backchannel: .init(
                    authReqID: authReqID, bindingMessage: bindingMessage, requestedExpiry: requestedExpiry,
                    delivery: delivery, needsSubjectConfirmation: !client.assertsUsers))
        } catch  where error.code == .accessDenied {
            // CIBA §13: access_denied from this endpoint is 403.
            var denied = error
            denied.status = 403
            throw denied
        }
        var members: [(String, JSONValue)] = [
            ("auth_req_id", .string(pending.authReqID)), ("expires_in", .number(JSONNumber(pending.expiresIn))),
        ]
        // §7.3: the polling interval means nothing to a push client, which never polls.
        if delivery?.mode != .push { members.append(("interval", .number(JSONNumber(pending.interval)))) }
        return .json(
            JSONWriter.object(members),
            headers: [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
    }

    /// Which hint names the subject (CIBA §7.1: exactly one).
    enum Hint {
        case user(String)
        case token(String, parameter: String)
    }

    static func hint(_ params: FormParameters) throws(OAuthError) -> Hint {
        let given = ["login_hint", "login_hint_token", "id_token_hint"].compactMap { name in params[name].map { (name, $0) } }
        guard given.count == 1, let (name, value) = given.first else {
            throw .invalidRequest(
                given.isEmpty
                    ? "name the user with exactly one of login_hint, login_hint_token or id_token_hint"
                    : "send exactly one of login_hint, login_hint_token or id_token_hint, not \(given.map(\.0).joined(separator: " and "))")
        }
        return name == "login_hint" ? .user(value) : .token(value, parameter: name)
    }

    /// At most 100 characters, none of them a control character (CIBA §7.1 asks for short,
    /// plain text: it is shown to the approvers).
    static func bindingMessage(_ value: String?) throws(OAuthError) -> String? {
        guard let value else { return nil }
        let printable = !value.unicodeScalars.contains {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
        }
        guard printable, value.count <= maxBindingMessageLength, !value.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
            throw OAuthError(
                .invalidBindingMessage,
                "binding_message must be 1 to \(maxBindingMessageLength) printable characters, without control characters")
        }
        return value
    }

    static func requestedExpiry(_ value: String?) throws(OAuthError) -> Int? {
        guard let value else { return nil }
        guard value.utf8.count <= 9, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int(value),
            (1...maxRequestedExpiry).contains(seconds)
        else {
            throw .invalidRequest("requested_expiry must be a whole number of seconds from 1 to \(maxRequestedExpiry)")
        }
        return seconds
    }

    /// Poll needs nothing; ping and push need the client's endpoint and the token it gave us
    /// to present there, both kept (the token and the `auth_req_id` sealed) with the request.
    func delivery(
        for client: OAuthClient, notificationToken: String?, authReqID: String
    ) throws(OAuthError)
        -> BackchannelDelivery?
    {
        let mode = client.cibaMode.flatMap(BackchannelDelivery.Mode.init(rawValue:)) ?? .poll
        guard mode != .poll else { return nil }
        guard let notificationToken else {
            throw .invalidRequest("client_notification_token is required: this client is registered for \(mode.rawValue) mode")
        }
        guard notificationToken.utf8.count <= Self.maxNotificationTokenLength, Self.isBearerToken(notificationToken) else {
            throw .invalidRequest(
                "client_notification_token must be a bearer token (RFC 6750 section 2.1) of at most \(Self.maxNotificationTokenLength) characters"
            )
        }
        guard let endpoint = client.notificationEndpoint else {
            throw OAuthError(
                .unauthorizedClient, "this client is registered for \(mode.rawValue) mode but has no notification endpoint")
        }
        return BackchannelDelivery(
            mode: mode, endpoint: endpoint,
            sealedNotificationToken: SealedSecret.seal(
                notificationToken, purpose: BackchannelDelivery.notificationTokenPurpose, serverKey: serverKey),
            sealedAuthReqID: SealedSecret.seal(authReqID, purpose: BackchannelDelivery.authReqIDPurpose, serverKey: serverKey))
    }

    /// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    static func isBearerToken(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        let body = bytes.prefix { $0 != UInt8(ascii: "=") }
        guard !body.isEmpty, bytes.dropFirst(body.count).allSatisfy({ $0 == UInt8(ascii: "=") }) else { return false }
        return body.allSatisfy { b in
            (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b)
                || "-._~+/".utf8.contains(b)
        }
    }

    /// The subject the hint names: a user of this server, or the subject of a trusted issuer's token.
    func resolve(_ hint: Hint) async throws(OAuthError) -> ActionSubject {
        switch hint {
        case .user(let name):
            guard User.problem(name: name) == nil else { throw OAuthError(.unknownUserID, "login_hint names no user of this server") }
            let found: User?
            do { found = try await users.user(named: name) } catch {
                throw .unavailable(detail: "reading the user failed: \(error)")
            }
            guard let user = found, !user.disabled else {
                throw OAuthError(.unknownUserID, "login_hint names no user of this server")
            }
            return ActionSubject(
                sub: user.name, issuer: ownIssuer, claims: user.approver.claims, acr: nil, authTime: nil, actor: nil,
                aliases: user.aliases)
        case .token(let token, let parameter):
            let verified: VerifiedSubject
            do { verified = try await subjects.verify(token, parameter: parameter) } catch {
                // CIBA §13: an expired login_hint_token has its own error code.
                if parameter == "login_hint_token", error.description == "\(parameter) has expired" {
                    throw OAuthError(.expiredLoginHintToken, "login_hint_token has expired")
                }
                throw error
            }
            return ActionSubject(
                sub: verified.sub, issuer: verified.issuer.issuer, claims: verified.policyClaims, acr: verified.acr,
                authTime: verified.authTime, actor: nil)
        }
    }

    /// CIBA requests carry the `openid` scope (§7.1); Countersign issues action tokens, not
    /// sign-ins, so it is accepted and set aside rather than checked against the client.
    static func withoutOpenID(_ params: FormParameters) -> FormParameters {
        guard let scope = params["scope"], scope.split(separator: " ").contains("openid") else { return params }
        var values = params.values
        let rest = scope.split(separator: " ", omittingEmptySubsequences: false).filter { $0 != "openid" }
        values["scope"] = rest.isEmpty ? nil : rest.joined(separator: " ")
        return FormParameters(values)
    }
}
