/// An external identity provider whose tokens Countersign accepts as subject tokens (RFC 8693
/// `subject_token`, CIBA `login_hint_token`): its issuer URL, the audience its tokens must
/// carry, where its keys are, which algorithms it may sign with, and how its claims map onto
/// the subject's claims that policies read.
public struct TrustedIssuer: Sendable, Equatable {
    /// The exact `iss` value of its tokens.
    public var issuer: String
    /// A token must name this in `aud` (RFC 7519 §4.1.3).
    public var audience: String
    /// The issuer's JWKS; nil: found through its OpenID discovery document.
    public var jwksURI: String?
    /// Subject claims taken from elsewhere in the token (`roles` from `realm_access.roles`).
    public var claimMappings: [ClaimMapping]
    /// The signature algorithms its tokens may use; never `none`, never HMAC (RFC 8725 §3.1).
    public var algorithms: [String]
    /// When the issuer was added.
    public var createdAt: Instant

    /// Asymmetric JWS algorithms Countersign verifies (RFC 7518 §3, RFC 8037).
    public static let supportedAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
    /// What an issuer added without `--alg` may use: the algorithms IdPs sign with by default.
    public static let defaultAlgorithms = ["RS256", "PS256", "ES256", "ES384", "EdDSA"]

    /// An issuer as `issuer add` registers it or the store reads it back.
    public init(
        issuer: String, audience: String, jwksURI: String? = nil, claimMappings: [ClaimMapping] = [],
        algorithms: [String] = TrustedIssuer.defaultAlgorithms, createdAt: Instant
    ) {
        self.issuer = issuer
        self.audience = audience
        self.jwksURI = jwksURI
        self.claimMappings = claimMappings
        self.algorithms = algorithms
        self.createdAt = createdAt
    }

    /// The facts an audit event records.
    public var auditData: [String: JSONValue] {
        [
            "issuer": .string(issuer), "audience": .string(audience), "jwks_uri": .optional(jwksURI),
            "claims": .array(claimMappings.map { .string($0.description) }),
            "algorithms": .array(algorithms.map(JSONValue.string)),
        ]
    }
}

/// `NAME=PATH`: the subject claim NAME is the token's value at the dotted PATH
/// (`roles=realm_access.roles`, `groups=https://example.com/groups`). A path segment that
/// itself contains dots (a URI-named claim) is matched whole first.
public struct ClaimMapping: Sendable, Equatable, CustomStringConvertible {
    /// The claim name the policy sees (`subject.NAME`).
    public var name: String
    /// The dotted path to its value in the issuer's token.
    public var path: String

    /// A mapping of `name` to the value at `path`.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Parses `NAME=PATH`; nil when either side is empty or NAME is not a plain identifier.
    public init?(text: String) {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let name = String(text[..<eq])
        let path = String(text[text.index(after: eq)...])
        guard !name.isEmpty, !path.isEmpty, name.utf8.count <= 64, path.utf8.count <= 256,
            name.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" || $0 == "-")
            }),
            !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        self.init(name: name, path: path)
    }

    /// The mapping as `issuer add --claim` takes it: `NAME=PATH`.
    public var description: String { "\(name)=\(path)" }

    /// The value at this mapping's path in the token's claims, if any.
    public func value(in claims: [String: JSONValue]) -> JSONValue? {
        if let whole = claims[path] { return whole }
        var current: JSONValue = .object(claims)
        for segment in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let members) = current, let next = members[String(segment)] else { return nil }
            current = next
        }
        return current
    }
}

extension TrustedIssuer {
    /// The subject's claims as policies see them: every top-level claim of the token that is a
    /// plain JSON value, then each mapping (a mapping wins over a top-level claim of its name).
    /// Numbers stay exact; a value that cannot be a policy value (a number out of range) is left out.
    public func subjectClaims(from claims: [String: JSONValue]) -> [String: PolicyValue] {
        var out: [String: PolicyValue] = [:]
        out.reserveCapacity(claims.count + claimMappings.count)
        for (name, value) in claims {
            if let converted = try? PolicyValue(json: value, path: name) { out[name] = converted }
        }
        for mapping in claimMappings {
            if let value = mapping.value(in: claims), let converted = try? PolicyValue(json: value, path: mapping.name) {
                out[mapping.name] = converted
            } else {
                out[mapping.name] = nil
            }
        }
        return out
    }
}
