import CountersignCore

/// RFC 6749 §3.3: the requested scope must be a subset of the client's registered scopes; an
/// omitted scope means the client's registered scopes. Unknown or unregistered → `invalid_scope`.
enum CheckScope {
    static let maxLength = 2048

    static func granted(requested: String?, client: OAuthClient) throws(OAuthError) -> [String] {
        guard let requested else { return client.scopes }
        guard requested.utf8.count <= maxLength else { throw OAuthError(.invalidScope, "scope is too long") }
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
        let tokens = requested.split(separator: " ", omittingEmptySubsequences: false)
        var seen: [String] = []
        for token in tokens {
            guard !token.isEmpty, token.unicodeScalars.allSatisfy({ v in
                v.value == 0x21 || (0x23...0x5B).contains(v.value) || (0x5D...0x7E).contains(v.value)
            }) else {
                throw OAuthError(.invalidScope, "scope must be scope tokens separated by single spaces")
            }
            let name = String(token)
            guard client.scopes.contains(name) else {
                throw OAuthError(.invalidScope, "scope \(name) is not allowed for this client")
            }
            if !seen.contains(name) { seen.append(name) }
        }
        return seen
    }
}
