/// The authority of an absolute URL (RFC 3986 §3.2), read from its text without a URL parser:
/// what follows `scheme://` up to the first `/`, `?`, `#` or `\` (which WHATWG parsers read as
/// `/`). Parsers disagree about odd URLs; cutting the text this way never leaves a part of the
/// user information in what is called the host and port.
public struct URLAuthority: Sendable, Equatable {
    /// The scheme as written (`https`, `HTTP`).
    public let scheme: Substring
    /// Everything before the last `@` of the authority (RFC 3986 §3.2.1: `user:password`), nil
    /// when the authority has no `@`.
    public let userInfo: Substring?
    /// The host and the port, as written.
    public let hostAndPort: Substring

    /// The authority of `url`, or nil when it does not start `scheme://` (RFC 3986 §3.1 scheme).
    /// Read scalar by scalar, so a combining mark after `@` or `/` cannot hide it.
    public init?(of url: String) {
        let scalars = url.unicodeScalars
        guard let colon = scalars.firstIndex(of: ":"), scalars[colon...].starts(with: "://".unicodeScalars) else { return nil }
        let scheme = scalars[..<colon]
        // ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        func letter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
        guard let first = scheme.first, letter(first),
            scheme.allSatisfy({ letter($0) || ("0"..."9").contains($0) || $0 == "+" || $0 == "-" || $0 == "." })
        else { return nil }
        let authority = scalars[scalars.index(colon, offsetBy: 3)...].prefix { !["/", "?", "#", "\\"].contains($0) }
        if let at = authority.lastIndex(of: "@") {
            userInfo = Substring(authority[..<at])
            hostAndPort = Substring(authority[authority.index(after: at)...])
        } else {
            userInfo = nil
            hostAndPort = Substring(authority)
        }
        self.scheme = Substring(scheme)
    }

    /// `scheme://host[:port]`: never the user information, a path, a query or a fragment.
    public var origin: String { "\(scheme)://\(hostAndPort)" }
}
