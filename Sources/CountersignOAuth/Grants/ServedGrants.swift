import CountersignCore

/// The grants `POST /token` serves, one line each: the grant type and how its handler is made
/// (RFC 6749 §4.4, RFC 8693, OpenID CIBA Core §10.1). `AuthorizationServer` registers exactly
/// these, discovery lists them (`grant_types_supported`, RFC 8414 §2), and a client is not
/// registered for any other grant: it could never use it.
public enum ServedGrants {
    /// What the handlers are made of, from `AuthorizationServer`.
    struct Parts {
        let minter: AccessTokenMinter
        let directory: ClientDirectory
        let issuance: ActionIssuance
        let subjects: SubjectTokenVerifier
        /// Made beforehand: the CIBA notifier shares it.
        let ciba: CIBAGrant
    }

    static let handlers: [(grantType: GrantType, make: @Sendable (Parts) -> any GrantHandler)] = [
        (.clientCredentials, { ClientCredentialsGrant(minter: $0.minter, directory: $0.directory, issuance: $0.issuance) }),
        (.tokenExchange, { TokenExchangeGrant(verifier: $0.subjects, issuance: $0.issuance) }),
        (.ciba, { $0.ciba }),
    ]

    /// The grant types `POST /token` serves, in the order above.
    public static let grantTypes: [GrantType] = handlers.map(\.grantType)

    /// Why a client cannot be registered for the grant type named `name` (a standard name or a
    /// short alias), or nil when `POST /token` serves it.
    public static func problem(registering name: String) -> String? {
        let served = grantTypes.map(\.shortName)
        let choices = served.dropLast().joined(separator: ", ") + " or " + (served.last ?? "")
        guard let grantType = GrantType(name: name) else { return "unknown grant type \"\(name)\"; use \(choices)" }
        guard grantTypes.contains(grantType) else {
            return "the server does not serve grant type \(grantType.shortName) yet; use \(choices)"
        }
        return nil
    }
}
