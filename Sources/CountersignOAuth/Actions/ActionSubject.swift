import CountersignCore

/// Who a token request is for: a user vouched for by a trusted issuer, or the client itself.
public struct ActionSubject: Sendable {
    /// The subject identifier: the user's `sub` at its issuer, or the client id.
    public var sub: String
    /// The issuer that vouched for the subject; nil when the client acts as itself.
    public var issuer: String?
    /// The claims policies read (`subject.*`).
    public var claims: [String: PolicyValue]
    /// How the subject authenticated (`acr`, OpenID Connect Core §2), when the issuer said.
    public var acr: String?
    /// When the subject authenticated (`auth_time`, OpenID Connect Core §2), when the issuer said.
    public var authTime: Int64?
    /// RFC 8693 §4.1: who acts on the subject's behalf, vouched for by a trusted issuer.
    public var actor: PersonIdentity?
    /// Other names the subject goes by (a user's `--alias`), besides those in its claims.
    public var aliases: [String] = []

    /// The client acting as itself (client credentials): machine clients and agents.
    static func client(_ client: OAuthClient) -> ActionSubject {
        ActionSubject(sub: client.id, issuer: nil, claims: ["client_id": .string(client.id)], acr: nil, authTime: nil, actor: nil)
    }

    /// The subject as an audit event names it: `iss#sub`, so one `sub` from two IdPs is two subjects.
    public var auditName: String { issuer.map { "\($0)#\(sub)" } ?? "client:\(sub)" }

    /// The subject as a person approvers are compared with: `sub`, issuer, aliases and name claims.
    public var identity: PersonIdentity { PersonIdentity(issuer: issuer, sub: sub, claims: claims, aliases: aliases) }

    /// The `act` claim (RFC 8693 §4.1) of what is issued and audited for this subject.
    var act: JSONValue? { actor?.actClaim }
}
