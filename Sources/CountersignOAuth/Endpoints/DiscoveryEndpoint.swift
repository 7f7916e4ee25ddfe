import CountersignCore

/// Authorization server metadata (RFC 8414 §2) and OpenID Provider metadata (OIDC Discovery
/// §3), listing exactly what this server implements.
public struct DiscoveryEndpoint: Sendable {
    public let document: [UInt8]

    public init(issuer: String, grantTypes: [GrantType]) {
        let authMethods: JSONValue = .array(ClientAuthenticator.supportedMethods.map { .string($0.rawValue) })
        self.document = JSONWriter.object([
            ("issuer", .string(issuer)),
            ("token_endpoint", .string(issuer + "/token")),
            ("jwks_uri", .string(issuer + "/jwks.json")),
            ("introspection_endpoint", .string(issuer + "/introspect")),
            ("revocation_endpoint", .string(issuer + "/revoke")),
            ("grant_types_supported", .array(grantTypes.map { .string($0.rawValue) })),
            ("response_types_supported", .array([])),
            ("token_endpoint_auth_methods_supported", authMethods),
            ("introspection_endpoint_auth_methods_supported", authMethods),
            ("revocation_endpoint_auth_methods_supported", authMethods),
            ("subject_types_supported", ["public"]),
            ("access_token_signing_alg_values_supported", [.string(SigningKeyMaterial.algorithm)]),
            ("claims_supported", ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"]),
        ])
    }

    public var response: OAuthResponse {
        .json(document, headers: [("Cache-Control", "public, max-age=300")])
    }
}
