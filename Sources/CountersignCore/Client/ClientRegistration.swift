/// What a client registration may contain; each check returns the problem in words, or nil.
public enum ClientRegistration {
    /// Client ids: 1–128 characters from RFC 6749 Appendix A.1's VSCHAR without spaces, colon or quotes.
    public static func problem(id: String) -> String? {
        guard (1...128).contains(id.utf8.count) else { return "a client id must be 1 to 128 characters" }
        let ok = id.unicodeScalars.allSatisfy { s in
            s.isASCII && s.value > 0x20 && s.value < 0x7F && s != ":" && s != "\"" && s != "\\" && s != "%"
        }
        return ok ? nil : "a client id may use printable ASCII only, without spaces, ':', '%', quotes or backslashes"
    }

    /// RFC 6749 §3.3 scope tokens separated by single spaces.
    public static func problem(scope: String) -> String? {
        scopeTokens(scope) == nil ? "scope must be scope tokens separated by single spaces (RFC 6749 section 3.3)" : nil
    }

    /// The tokens of an RFC 6749 §3.3 scope (`1*( %x21 / %x23-5B / %x5D-7E )`, single spaces
    /// between), or nil when it is not one.
    public static func scopeTokens(_ scope: String) -> [Substring]? {
        let tokens = scope.split(separator: " ", omittingEmptySubsequences: false)
        for token in tokens {
            let ok =
                !token.isEmpty
                && token.unicodeScalars.allSatisfy { v in
                    v.value == 0x21 || (0x23...0x5B).contains(v.value) || (0x5D...0x7E).contains(v.value)
                }
            if !ok { return nil }
        }
        return tokens
    }

    /// An absolute http(s) URI without fragment.
    public static func problem(uri: String) -> String? {
        let lower = uri.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            return "\(uri.prefix(100)) must be an absolute http(s) URI"
        }
        guard !uri.contains("#"), !uri.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            return "\(uri.prefix(100)) must not contain a fragment, spaces or control characters"
        }
        guard uri.utf8.count <= 2048 else { return "a URI must be at most 2048 characters" }
        return nil
    }
}
