import CountersignCore
import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where this server may send a request of its own making: the one statement of the rules
/// against server-side request forgery for every URL it calls. They are checked when a URL is
/// registered (`issuer add`, `client create --notification-endpoint`, `webhook add`: the rules
/// of `textProblem`) and again before every request (`problem(with:for:)`;
/// `OutboundHTTPClient` makes none without it), so a URL stored before a rule existed is held
/// to it too.
///
/// **Every purpose.**
/// - An absolute `http` or `https` URL with a host.
/// - No user information (`name:password@` before the host). The server never sends
///   credentials taken from a URL, and URLs are stored, shown (`webhook list`) and audited
///   (`issuer.added`, a webhook's `url_origin`): a password there would leak.
///
/// **`.issuerDocument`**: an issuer's URL (its discovery document lies under it) or the JWKS URL
/// an operator configured for it. The keys decide whose tokens are believed, so:
/// - https; plain http only to a loopback host (`127.0.0.0/8`, `::1`, `localhost`), for
///   development and tests;
/// - never a link-local address (`169.254.0.0/16`, where cloud metadata services answer, or
///   `fe80::/10`), however the address is written (`::ffff:169.254.1.1` too);
/// - never an IP address in a non-standard spelling that a resolver might read as an address
///   (`2852039166`, `0xa9.0xfe.0xa9.0xfe`, `127.1`, a bracketed IPv6 address with a zone);
/// - private addresses are allowed (an identity provider on the company network), and a name is
///   judged by its text, never resolved: a name that resolves to a loopback or link-local
///   address is not caught, but it only ever gets an https request, whose certificate must name
///   it.
///
/// **`.jwksNamedBy(issuer:)`**: the `jwks_uri` of an issuer's discovery document, a URL a remote
/// party chose. Every `.issuerDocument` rule, and a loopback host (`localhost` and
/// `*.localhost` included) only when the issuer itself is on loopback: a remote issuer cannot
/// point this server at a service on its own machine.
///
/// **`.callback`**: a CIBA client notification endpoint (ping, push) or a webhook; notification
/// tokens, access tokens and approval events travel there. Unless the operator allows private
/// callbacks (`serve --allow-private-callbacks`, which lifts every rule in this list):
/// - https only (CIBA Core §4 requires it of notification endpoints);
/// - public addresses only (`IPAddress.isNonPublic`: loopback, private, shared, link-local,
///   multicast, unique-local, and the IPv6 forms that carry an IPv4 address): an address is
///   judged as written, `localhost` and `*.localhost` are refused without a lookup, and any other
///   name is resolved just before the call, every address it resolves to must be public (a
///   non-standard spelling such as `127.1` is resolved like a name, as the HTTP client would).
///
/// Registration knows nothing of the server's flags and looks nothing up, so for a callback it
/// checks only the rules of every purpose; the rest are checked at each attempt.
///
/// **Not caught: DNS rebinding.** The HTTP client looks the name up again when it connects, so a
/// resolver that answers with a public address for the check and a private one a moment later
/// steers that connection. The request is not pinned to the checked address; what stands in the
/// way is TLS: without private callbacks every callback is https, and every issuer document on
/// a host that is not loopback is https, so the connection gets a request only if the peer
/// presents a valid certificate for the registered name.
public struct OutboundURLPolicy: Sendable, Equatable {
    /// What a URL is called for; each has its rules (see the type's documentation).
    public enum Purpose: Sendable, Equatable {
        /// An issuer URL, its discovery document, or a JWKS URL the operator configured.
        case issuerDocument
        /// The `jwks_uri` the discovery document of `issuer` names.
        case jwksNamedBy(issuer: String)
        /// A CIBA client notification endpoint or a webhook.
        case callback
    }

    /// Why a URL may not be called. For the issuer purposes the text continues a sentence that
    /// names the URL ("--issuer must use https …", "jwks_uri … must not point …"); a callback's
    /// stands alone ("127.0.0.1 is not a public address").
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case notHTTP
        case userInformation
        case linkLocal(IPAddress)
        case nonStandardAddress(String)
        case plainHTTPToRemoteIssuer
        case loopbackNamedByRemoteIssuer
        case plainHTTPCallback
        case nonPublicHost(String)
        case doesNotResolve(String)
        case resolvesToNonPublic(host: String, address: IPAddress)

        /// The refusal in words, as the answer or the log continues or shows it.
        public var description: String {
            switch self {
            case .notHTTP: "must be an absolute http(s) URL"
            case .userInformation:
                "must not contain user information (name:password@ before the host): URLs are stored, shown and audited, and no credential is ever sent from one"
            case .linkLocal(let address): "must not point to the link-local address \(address) (cloud metadata lives there)"
            case .nonStandardAddress(let host): "must not name an IP address in a non-standard form (\(host.prefix(60)))"
            case .plainHTTPToRemoteIssuer:
                "must use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)"
            case .loopbackNamedByRemoteIssuer: "must not point to this machine (a loopback host) when the issuer is elsewhere"
            case .plainHTTPCallback: "plain http is refused; use https (or serve --allow-private-callbacks)"
            case .nonPublicHost(let host): "\(host) is not a public address"
            case .doesNotResolve(let host): "\(host.prefix(255)) does not resolve"
            case .resolvesToNonPublic(let host, let address): "\(host.prefix(255)) resolves to \(address), which is not a public address"
            }
        }
    }

    /// `serve --allow-private-callbacks`: callbacks may use plain http and any address.
    public let allowsPrivateCallbacks: Bool
    /// The longest a callback's name lookup may take; past it the name counts as unresolved.
    public let lookupDeadline: Duration

    /// A policy; `allowPrivateCallbacks` from `serve --allow-private-callbacks`.
    public init(allowPrivateCallbacks: Bool, lookupDeadline: Duration = .seconds(5)) {
        self.allowsPrivateCallbacks = allowPrivateCallbacks
        self.lookupDeadline = lookupDeadline
    }

    static let loopback: [CIDRBlock] = ["127.0.0.0/8", "::1/128"].compactMap { try? CIDRBlock($0) }
    static let linkLocal: [CIDRBlock] = ["169.254.0.0/16", "fe80::/10"].compactMap { try? CIDRBlock($0) }

    /// Every rule of `purpose`, with a callback's name looked up: what is checked before each
    /// request. Nil when `url` may be called.
    public func problem(with url: String, for purpose: Purpose) async -> Refusal? {
        let target: Target
        switch Self.target(of: url) {
        case .success(let parsed): target = parsed
        case .failure(let refusal): return refusal
        }
        switch purpose {
        case .issuerDocument, .jwksNamedBy: return Self.issuerProblem(target, for: purpose)
        case .callback: return await callbackProblem(target)
        }
    }

    /// The rules judged on the URL's text alone, which need neither the server's settings nor a
    /// name lookup: for the issuer purposes every rule, for a callback those of every purpose.
    /// What registration checks.
    public static func textProblem(_ url: String, for purpose: Purpose) -> Refusal? {
        switch target(of: url) {
        case .failure(let refusal): return refusal
        case .success(let target):
            switch purpose {
            case .issuerDocument, .jwksNamedBy: return issuerProblem(target, for: purpose)
            case .callback: return nil
            }
        }
    }

    /// A URL's parts as the HTTP client reads them (Foundation's `URL`, as async-http-client does).
    struct Target {
        var scheme: String
        /// Without the brackets of an IPv6 literal.
        var host: String
        var bracketed: Bool
        /// The host when it is an address in the standard form.
        var address: IPAddress?

        /// `localhost`, or an address in `127.0.0.0/8` or `::1`: certainly this machine.
        var isLoopback: Bool {
            if let address { return OutboundURLPolicy.loopback.contains { $0.contains(address) } }
            return host.lowercased() == "localhost"
        }

        /// A loopback host, or a name RFC 6761 §6.3 reserves for loopback (`*.localhost`).
        var isLoopbackName: Bool { isLoopback || host.lowercased().hasSuffix(".localhost") }
    }

    /// The rules of every purpose.
    static func target(of url: String) -> Result<Target, Refusal> {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
            var host = parsed.host, !host.isEmpty
        else { return .failure(.notHTTP) }
        // Read from the text as well as by the parser: an `@` anywhere in the authority counts.
        guard URLAuthority(of: url)?.userInfo == nil, parsed.user == nil, parsed.password == nil else {
            return .failure(.userInformation)
        }
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        if bracketed { host = String(host.dropFirst().dropLast()) }
        return .success(Target(scheme: scheme, host: host, bracketed: bracketed, address: IPAddress(host)))
    }

    /// `.issuerDocument` and `.jwksNamedBy`: judged by the text alone.
    static func issuerProblem(_ target: Target, for purpose: Purpose) -> Refusal? {
        if let address = target.address, linkLocal.contains(where: { $0.contains(address) }) {
            return .linkLocal(address)
        }
        if target.address == nil, target.bracketed || looksNumeric(target.host) {
            return .nonStandardAddress(target.host)
        }
        if target.scheme == "http", !target.isLoopback { return .plainHTTPToRemoteIssuer }
        if case .jwksNamedBy(let issuer) = purpose, target.isLoopbackName {
            guard case .success(let issuerTarget) = Self.target(of: issuer), issuerTarget.isLoopback else {
                return .loopbackNamedByRemoteIssuer
            }
        }
        return nil
    }

    /// `.callback`: public addresses over https, a name looked up now.
    func callbackProblem(_ target: Target) async -> Refusal? {
        if allowsPrivateCallbacks { return nil }
        guard target.scheme == "https" else { return .plainHTTPCallback }
        if let address = target.address {
            return address.isNonPublic ? .nonPublicHost(address.description) : nil
        }
        if target.isLoopbackName { return .nonPublicHost("localhost") }
        let host = target.host
        let addresses = await withDeadline(lookupDeadline) { await Self.resolve(host) } ?? []
        guard !addresses.isEmpty else { return .doesNotResolve(host) }
        if let bad = addresses.first(where: \.isNonPublic) { return .resolvesToNonPublic(host: host, address: bad) }
        return nil
    }

    /// True for a host every label of which is a decimal or `0x` hex number: what `inet_aton`
    /// would take for an IPv4 address (a final dot, which a resolver ignores, aside).
    static func looksNumeric(_ host: String) -> Bool {
        let labels = (host.hasSuffix(".") ? host.dropLast() : host[...]).split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            let lower = label.lowercased()
            if lower.hasPrefix("0x") { return lower.dropFirst(2).allSatisfy(\.isHexDigit) }
            return !label.isEmpty && label.allSatisfy(\.isASCII) && label.allSatisfy(\.isNumber)
        }
    }

    /// Every address `host` resolves to (getaddrinfo, off the cooperative pool).
    static func resolve(_ host: String) async -> [IPAddress] {
        (try? await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [IPAddress]() }
            defer { freeaddrinfo(first) }
            var found: [IPAddress] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let entry = node {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(
                    entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
                    == 0,
                    let address = IPAddress(
                        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                            .split(separator: "%").first.map(String.init) ?? "")
                {
                    found.append(address)
                }
                node = entry.pointee.ai_next
            }
            return found
        }) ?? []
    }
}
