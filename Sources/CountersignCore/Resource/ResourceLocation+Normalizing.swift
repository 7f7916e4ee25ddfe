extension ResourceLocation {
    /// Reads `text` as an absolute URI with a host (RFC 3986 §4.3) and normalises it, or
    /// refuses it (the rules are on the type). A query is refused unless `allowsQuery`; an
    /// empty one (a lone `?`) is then dropped.
    public init(normalizing text: String, allowsQuery: Bool = false) throws(ResourceLocationError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maxLength else { throw ResourceLocationError("is longer than \(Self.maxLength) bytes") }
        if let bad = text.unicodeScalars.first(where: { !Self.isURICharacter($0) }) {
            throw ResourceLocationError(
                "holds \(Self.codePoint(bad)), which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)")
        }
        guard !bytes.contains(UInt8(ascii: "#")) else {
            throw ResourceLocationError("has a fragment (#...), which never reaches a resource server")
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0, Self.isAlpha(bytes[0]),
            bytes[..<colon].allSatisfy(Self.isSchemeCharacter), bytes[(colon + 1)...].starts(with: "//".utf8)
        else { throw ResourceLocationError("is not an absolute URI with a host (scheme://host/path)") }
        let scheme = String(decoding: bytes[..<colon].map(Self.lowercased), as: UTF8.self)

        let authorityStart = colon + 3
        let authorityEnd = bytes[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.endIndex
        let authority = try Self.authority(bytes[authorityStart..<authorityEnd], scheme: scheme)

        let queryStart = bytes[authorityEnd...].firstIndex(of: UInt8(ascii: "?"))
        let path = try Self.path(bytes[authorityEnd..<(queryStart ?? bytes.endIndex)])
        var query: String?
        if let queryStart {
            guard allowsQuery else {
                throw ResourceLocationError("has a query (?...): the action does not declare resource_query: true")
            }
            let raw = bytes[(queryStart + 1)...]
            if !raw.isEmpty {
                query = String(decoding: try Self.escapesNormalized(raw, part: .query), as: UTF8.self)
            }
        }
        self.init(origin: scheme + "://" + authority, path: path, query: query)
    }

    /// `host[:port]`: user information refused, the host checked and in lower case, a default
    /// or empty port dropped.
    static func authority(_ bytes: ArraySlice<UInt8>, scheme: String) throws(ResourceLocationError) -> String {
        guard !bytes.contains(UInt8(ascii: "@")) else {
            throw ResourceLocationError("has user information (...@) before its host")
        }
        let host: String
        var portText: ArraySlice<UInt8>?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                throw ResourceLocationError("has an IPv6 host without its closing ]")
            }
            host = "[" + (try Self.ipv6(bytes[(bytes.startIndex + 1)..<close])) + "]"
            let after = bytes[(close + 1)...]
            if let first = after.first {
                guard first == UInt8(ascii: ":") else { throw ResourceLocationError("has text after its IPv6 host") }
                portText = after.dropFirst()
            }
        } else {
            let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
            host = try Self.registeredName(bytes[..<(colon ?? bytes.endIndex)])
            portText = colon.map { bytes[($0 + 1)...] }
        }
        guard let portText, !portText.isEmpty else { return host }
        guard portText.count <= 5, portText.allSatisfy(Self.isDigit),
            let port = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(port)
        else { throw ResourceLocationError("has an invalid port: a port is a number from 1 to 65535") }
        let isDefault = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return isDefault ? host : "\(host):\(port)"
    }

    /// A DNS name or a dotted-quad IPv4 address, in lower case. A host whose last label is a
    /// number (`127.1`, `0x7f.0.0.1`, `2130706433`) must be a strict dotted quad: resolvers
    /// read such numbers as IPv4 addresses in forms a text comparison cannot see.
    static func registeredName(_ raw: ArraySlice<UInt8>) throws(ResourceLocationError) -> String {
        guard !raw.isEmpty else { throw ResourceLocationError("has no host") }
        let decoded: [UInt8]
        do { decoded = try Self.escapesNormalized(raw, part: .host) } catch {
            throw ResourceLocationError(
                error.message.hasPrefix("has an invalid percent-escape")
                    ? error.message : "has a host that is not a DNS name, an IPv4 address or a bracketed IPv6 address")
        }
        let host = decoded.map(Self.lowercased)
        guard
            host.allSatisfy({
                Self.isAlpha($0) || Self.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            })
        else { throw ResourceLocationError("has a host that is not a DNS name, an IPv4 address or a bracketed IPv6 address") }
        let labels = host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.allSatisfy({ !$0.isEmpty }) else {
            throw ResourceLocationError("has a host with an empty label (a dot at its start or end, or two in a row)")
        }
        let text = String(decoding: host, as: UTF8.self)
        if let last = labels.last, last.allSatisfy(Self.isDigit) || last.starts(with: "0x".utf8) {
            guard let address = IPAddress(text), address.isIPv4, address.description == text else {
                throw ResourceLocationError("has a host that ends in a number but is not a dotted-quad IPv4 address (such as 192.0.2.1)")
            }
        }
        return text
    }

    /// The RFC 5952 text of a bracketed IPv6 address; zone ids, IPvFuture and IPv4-mapped
    /// addresses are refused.
    static func ipv6(_ raw: ArraySlice<UInt8>) throws(ResourceLocationError) -> String {
        guard let address = IPAddress(String(decoding: raw, as: UTF8.self)), raw.contains(UInt8(ascii: ":")) else {
            throw ResourceLocationError("has an invalid IPv6 address in brackets (zone ids are refused)")
        }
        guard !address.isIPv4 else {
            throw ResourceLocationError("has an IPv4-mapped IPv6 host: write the IPv4 address itself")
        }
        return address.description
    }

    /// The path with escapes normalised, `/` when empty; dot segments and empty segments
    /// (but a final `/`) refused.
    static func path(_ raw: ArraySlice<UInt8>) throws(ResourceLocationError) -> String {
        guard !raw.isEmpty else { return "/" }
        let path = try Self.escapesNormalized(raw, part: .path)
        // The path starts with `/`: the authority ends at the first one.
        let segments = path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) {
                throw ResourceLocationError("has a dot segment (. or ..) in its path")
            }
            if segment.isEmpty, index < segments.count - 1 {
                throw ResourceLocationError("has an empty path segment (//)")
            }
        }
        return String(decoding: path, as: UTF8.self)
    }

    /// Where in the URI a run of bytes is, for which characters it may hold (RFC 3986 §3).
    enum Part {
        case host, path, query
    }

    /// Decodes escapes of unreserved characters, writes every other escape in upper-case hex
    /// (RFC 3986 §6.2.2.1–2), and refuses a malformed escape, a character the part cannot hold,
    /// and in a path an encoded `/` or `\`; anywhere an encoded control character. A host
    /// keeps no escape at all.
    static func escapesNormalized(_ raw: ArraySlice<UInt8>, part: Part) throws(ResourceLocationError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "%") else {
                guard Self.isAllowed(byte, in: part) else {
                    let scalar = Unicode.Scalar(byte)
                    throw ResourceLocationError(
                        "has \(Self.codePoint(scalar)) (\(Character(scalar))) in its \(part), where it must be percent-encoded")
                }
                out.append(byte)
                index += 1
                continue
            }
            guard index + 2 < raw.endIndex, let high = Self.hexValue(raw[index + 1]), let low = Self.hexValue(raw[index + 2])
            else { throw ResourceLocationError("has an invalid percent-escape: % must be followed by two hex digits") }
            let decoded = high << 4 | low
            if Self.isUnreserved(decoded) {
                out.append(decoded)
            } else if decoded < 0x20 || decoded == 0x7F {
                throw ResourceLocationError("has an encoded control character (%00-%1F, %7F)")
            } else if part == .path, decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") {
                throw ResourceLocationError("has an encoded slash or backslash (%2F, %5C) in its path, which servers read differently")
            } else if part == .host {
                throw ResourceLocationError("has a host that is not a DNS name, an IPv4 address or a bracketed IPv6 address")
            } else {
                out.append(contentsOf: [UInt8(ascii: "%"), Self.upperHex(decoded >> 4), Self.upperHex(decoded & 0xF)])
            }
            index += 3
        }
        return out
    }

    // MARK: Character classes (RFC 3986 §2 and §3)

    static func isAlpha(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
    static func isDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
    static func isSchemeCharacter(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
    static func isUnreserved(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }
    static func isSubDelimiter(_ b: UInt8) -> Bool { "!$&'()*+,;=".utf8.contains(b) }

    /// `pchar` and `/` in a path, also `?` in a query (RFC 3986 §3.3, §3.4); unreserved and
    /// sub-delimiters in a host (§3.2.2), which `registeredName` narrows further.
    static func isAllowed(_ b: UInt8, in part: Part) -> Bool {
        if isUnreserved(b) || isSubDelimiter(b) { return true }
        switch part {
        case .host: return false
        case .path: return b == UInt8(ascii: ":") || b == UInt8(ascii: "@") || b == UInt8(ascii: "/")
        case .query: return b == UInt8(ascii: ":") || b == UInt8(ascii: "@") || b == UInt8(ascii: "/") || b == UInt8(ascii: "?")
        }
    }

    /// The characters a URI can hold at all (RFC 3986 §2): printable ASCII but space and `"<>\^`{|}`.
    static func isURICharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value > 0x20, scalar.value < 0x7F else { return false }
        return !"\"<>\\^`{|}".unicodeScalars.contains(scalar)
    }

    static func lowercased(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b + 0x20 : b }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static func upperHex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10 }

    /// `U+00E9`: how a message names a character, whatever it is.
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
