import CountersignCore
import Foundation

/// Where an issuer's documents may be fetched from: the issuer URL, its
/// discovery document and its JWKS. The keys decide whose tokens are believed, so they travel
/// over TLS: https, with plain http only to a loopback host (`127.0.0.0/8`, `::1`,
/// `localhost`) for development and tests. Never a link-local address (`169.254.0.0/16`, where
/// cloud metadata services answer, or `fe80::/10`), nor an IP address in a non-standard spelling
/// (`2852039166`, `0xa9.0xfe.0xa9.0xfe`) that a resolver might read as one. Only the URL's text
/// is judged: a name that resolves to a link-local address is not caught here, but it only
/// ever gets an https request.
public enum IssuerURLRule {
    static let loopback: [CIDRBlock] = ["127.0.0.0/8", "::1/128"].compactMap { try? CIDRBlock($0) }
    static let linkLocal: [CIDRBlock] = ["169.254.0.0/16", "fe80::/10"].compactMap { try? CIDRBlock($0) }

    /// Why `url` may not be fetched as an issuer document, as the end of a sentence naming it
    /// ("must use https …"), or nil when it may.
    public static func problem(with url: String) -> String? {
        guard let scheme = URL(string: url)?.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = host(of: url)
        else { return "must be an absolute http(s) URL" }
        let address = IPAddress(host)
        if let address, linkLocal.contains(where: { $0.contains(address) }) {
            return "must not point to the link-local address \(address) (cloud metadata lives there)"
        }
        if address == nil, looksNumeric(host) {
            return "must not name an IP address in a non-standard form (\(host.prefix(60)))"
        }
        if scheme == "http", !isLoopback(host: host, address: address) {
            return "must use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)"
        }
        return nil
    }

    /// Why a URL named by a remote party (the `jwks_uri` of an issuer's discovery document) may
    /// not be fetched: `problem(with:)`, and a loopback host only when the issuer itself is on
    /// loopback, so a remote issuer cannot point us at a service on this machine.
    public static func problem(with url: String, namedBy issuer: String) -> String? {
        if let problem = problem(with: url) { return problem }
        guard let target = host(of: url), isLoopback(host: target, address: IPAddress(target)) else { return nil }
        if let issuerHost = host(of: issuer), isLoopback(host: issuerHost, address: IPAddress(issuerHost)) { return nil }
        return "must not point to this machine (a loopback host) when the issuer is elsewhere"
    }

    /// The URL's host, without the brackets of an IPv6 literal.
    static func host(of url: String) -> String? {
        guard var host = URL(string: url)?.host, !host.isEmpty else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host
    }

    static func isLoopback(host: String, address: IPAddress?) -> Bool {
        if let address { return loopback.contains { $0.contains(address) } }
        return host.lowercased() == "localhost"
    }

    /// True for a host every label of which is a decimal or `0x` hex number: what `inet_aton`
    /// would take for an IPv4 address.
    static func looksNumeric(_ host: String) -> Bool {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            let lower = label.lowercased()
            if lower.hasPrefix("0x") { return lower.dropFirst(2).allSatisfy(\.isHexDigit) }
            return !label.isEmpty && label.allSatisfy(\.isASCII) && label.allSatisfy(\.isNumber)
        }
    }
}
