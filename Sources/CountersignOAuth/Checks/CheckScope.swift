import CountersignCore

/// RFC 6749 §3.3: the requested scope must be a subset of the client's registered scopes; an
/// omitted scope means the client's registered scopes. Unknown or unregistered → `invalid_scope`.
enum CheckScope {
    static let maxLength = 2048

    static func granted(requested: String?, client: OAuthClient) throws(OAuthError) -> [String] {
        guard let requested else { return client.scopes }
        guard requested.utf8.count <= maxLength else { throw OAuthError(.invalidScope, "scope is too long") }
        guard let tokens = ClientRegistration.scopeTokens(requested) else {
            throw OAuthError(.invalidScope, "scope must be scope tokens separated by single spaces")
        }
        var seen: [String] = []
        for token in tokens {
            let name = String(token)
            guard client.scopes.contains(name) else {
                throw OAuthError(.invalidScope, "scope \(name) is not allowed for this client")
            }
            if !seen.contains(name) { seen.append(name) }
        }
        return seen
    }
}
