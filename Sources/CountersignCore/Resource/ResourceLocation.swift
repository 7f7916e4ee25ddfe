/// A resource's URI in the one form that policy, audiences and tokens compare (POLICY.md §3,
/// "Resource locations"): RFC 3986 §6.2.2 syntax-based normalisation, and a refusal for any
/// text two servers could read as different resources.
///
/// Normalised: scheme and host to lower case (§6.2.2.1), percent-encoded unreserved characters
/// decoded and other escapes in upper-case hex (§6.2.2.2), an IPv6 host in its RFC 5952 form,
/// a default port (`:80` for http, `:443` for https) and an empty port dropped, and an empty
/// path written `/` (§6.2.3). Refused: user information, a fragment, a query unless the caller
/// allows one, an encoded `/` or `\`, an encoded control character, a dot segment (`.` or `..`,
/// also percent-encoded) and an empty segment inside the path (`//`), since servers resolve
/// them differently; a malformed escape, a character a URI cannot hold (non-ASCII among them),
/// and a host that is neither a DNS name, a dotted-quad IPv4 address nor a bracketed IPv6 one.
public struct ResourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The longest location accepted, in bytes (as for RFC 8707 `resource`).
    public static let maxLength = 2048

    /// The normal form: `scheme://host[:port]/path[?query]`.
    public let uri: String
    /// `scheme://host[:port]`: lower case, without a default port.
    public let origin: String
    /// The path: never empty, always starting with `/`.
    public let path: String
    /// The query, without its `?`, when the location has a non-empty one.
    public let query: String?

    /// The normal form, as messages and tokens show it.
    public var description: String { uri }

    init(origin: String, path: String, query: String?) {
        self.origin = origin
        self.path = path
        self.query = query
        self.uri = origin + path + (query.map { "?" + $0 } ?? "")
    }

    /// True when `server`, a resource server's URI (RFC 8707), covers this location: the same
    /// origin and the same path or one below it (`https://api.example.com/payments` covers
    /// `…/payments` and `…/payments/p-17`, not `…/payments-archive`). A server URI with a query
    /// covers nothing.
    public func isCovered(by server: ResourceLocation) -> Bool {
        guard server.query == nil, origin.utf8.elementsEqual(server.origin.utf8) else { return false }
        if path.utf8.elementsEqual(server.path.utf8) { return true }
        let base = server.path.utf8.last == UInt8(ascii: "/") ? server.path : server.path + "/"
        return path.utf8.starts(with: base.utf8)
    }
}

/// Why a text is not a resource location (POLICY.md §3). The message follows the location in
/// what the user sees: `"https://api.example.com/payments/.." has a dot segment …`.
public struct ResourceLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, worded to follow the location: `has a dot segment (. or ..) in its path`.
    public let message: String

    /// An error with this message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension ResourceLocation {
    /// For a pattern or value a policy compares with locations (an action's `resource`, a
    /// `glob`, `eq` or `in` on `resource`): why it can never match one, or nil. What is fixed
    /// of it must already be in normal form, since only normal forms are compared: a value
    /// whole; a glob up to the last `/` before its first `*`, `?` or `\`, and the escapes
    /// between that `/` and the wildcard.
    public static func neverMatchesProblem(pattern: String, isGlob: Bool) -> String? {
        let bytes = Array(pattern.utf8)
        let wildcard = isGlob ? bytes.firstIndex { "*?\\".utf8.contains($0) } : nil
        var fixedEnd = bytes.endIndex
        if let wildcard {
            guard let slash = bytes[..<wildcard].lastIndex(of: UInt8(ascii: "/")) else { return nil }
            fixedEnd = slash + 1
        }
        let fixed = bytes[..<fixedEnd]
        // Only a fixed part that reaches past `scheme://host` says anything about locations.
        guard let separator = Self.firstRange(of: Array("://".utf8), in: fixed),
            wildcard == nil || fixed[(separator + 3)...].contains(UInt8(ascii: "/"))
        else { return nil }
        let text = String(decoding: fixed, as: UTF8.self)
        let normal: ResourceLocation
        do { normal = try ResourceLocation(normalizing: text, allowsQuery: true) } catch {
            return "its fixed part \(PolicyValue.string(text).rendered(limit: 80)) \(error.message), which no location has"
        }
        let partial = wildcard.map { Self.escapesTidied(bytes[fixedEnd..<$0]) } ?? []
        let suggestion =
            normal.uri + String(decoding: partial, as: UTF8.self)
            + String(decoding: bytes[(wildcard ?? bytes.endIndex)...], as: UTF8.self)
        guard !suggestion.utf8.elementsEqual(bytes) else { return nil }
        return "locations are compared in normal form (docs/POLICY.md §3); write \(PolicyValue.string(suggestion).rendered(limit: 120))"
    }

    /// Escapes of unreserved characters decoded and others in upper-case hex, leaving anything
    /// else as it is: for the part of a glob that is not a whole segment.
    static func escapesTidied(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.endIndex, let high = Self.hexValue(bytes[index + 1]),
                let low = Self.hexValue(bytes[index + 2])
            {
                let decoded = high << 4 | low
                out += Self.isUnreserved(decoded) ? [decoded] : [UInt8(ascii: "%"), Self.upperHex(high), Self.upperHex(low)]
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    static func firstRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in haystack.startIndex...(haystack.endIndex - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
