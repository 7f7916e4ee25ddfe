import CountersignCore
import Synchronization

/// Authorization server metadata (RFC 8414 §2) and OpenID Provider metadata (OIDC Discovery
/// §3), listing exactly what this server implements. `authorization_details_types_supported`
/// (RFC 9396 §10) is the loaded policy's action names, so the document is rebuilt when the
/// policy changes.
public final class DiscoveryEndpoint: Sendable {
    let issuer: String
    let grantTypes: [GrantType]
    let policies: (any PolicySource)?
    let cache = Mutex<(policy: Policy?, document: [UInt8])?>(nil)

    /// Discovery of `issuer`, announcing `grantTypes` and the action types of `policies`' policy.
    public init(issuer: String, grantTypes: [GrantType], policies: (any PolicySource)? = nil) {
        self.issuer = issuer
        self.grantTypes = grantTypes
        self.policies = policies
    }

    /// The metadata document (RFC 8414 §2), rebuilt only when the policy in force changes.
    public var document: [UInt8] {
        let policy = policies?.currentPolicy
        if let cached = cache.withLock({ $0 }), cached.policy === policy { return cached.document }
        let document = build(actions: policy?.actions.map(\.name) ?? [])
        cache.withLock { $0 = (policy, document) }
        return document
    }

    func build(actions: [String]) -> [UInt8] {
        let authMethods: JSONValue = .array(ClientAuthenticator.supportedMethods.map { .string($0.rawValue) })
        return JSONWriter.object([
            ("issuer", .string(issuer)),
            ("token_endpoint", .string(issuer + "/token")),
            ("jwks_uri", .string(issuer + "/jwks.json")),
            ("introspection_endpoint", .string(issuer + "/introspect")),
            ("revocation_endpoint", .string(issuer + "/revoke")),
            ("backchannel_authentication_endpoint", .string(issuer + "/bc-authorize")),
            ("backchannel_token_delivery_modes_supported", ["poll", "ping", "push"]),
            ("backchannel_user_code_parameter_supported", false),
            ("grant_types_supported", .array(grantTypes.map { .string($0.rawValue) })),
            ("response_types_supported", .array([])),
            ("token_endpoint_auth_methods_supported", authMethods),
            ("introspection_endpoint_auth_methods_supported", authMethods),
            ("revocation_endpoint_auth_methods_supported", authMethods),
            ("subject_types_supported", ["public"]),
            ("access_token_signing_alg_values_supported", [.string(SigningKeyMaterial.algorithm)]),
            ("authorization_details_types_supported", .array(actions.map(JSONValue.string))),
            (
                "claims_supported",
                [
                    "iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "authorization_details", "acr",
                    "auth_time", "act", "approval",
                ]
            ),
        ])
    }

    /// The document with its HTTP cache lifetime (`max-age=300`).
    public var response: OAuthResponse {
        .json(document, headers: [("Cache-Control", "public, max-age=300")])
    }
}
