import CountersignCore
import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decides whether the server may call a URL a client or an operator registered (a CIBA
/// notification endpoint, a webhook): https only, and, unless private callbacks are allowed
/// (which also admits plain http), never a host that is or resolves to a loopback, private, link-local or otherwise non-public
/// address (a notification must not become a request into our own network).
/// The name is resolved just before the call; a resolver that answers differently a moment
/// later (DNS rebinding) is not caught here.
struct OutboundAddressCheck: Sendable {
    let allowPrivate: Bool

    /// Why the URL may not be called, or nil.
    func problem(with url: String) async -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
            var host = parsed.host, !host.isEmpty
        else { return "not an absolute http(s) URL" }
        if allowPrivate { return nil }
        // Tokens and notification tokens travel in these requests: TLS unless the operator
        // allows private callbacks (CIBA §4 asks for https endpoints).
        guard scheme == "https" else { return "plain http is refused; use https (or serve --allow-private-callbacks)" }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let literal = IPAddress(host) {
            return literal.isNonPublic ? "\(literal) is not a public address" : nil
        }
        let lower = host.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") { return "localhost is not a public address" }
        let addresses = await Self.resolve(host)
        guard !addresses.isEmpty else { return "\(host) does not resolve" }
        if let bad = addresses.first(where: \.isNonPublic) { return "\(host) resolves to \(bad), which is not a public address" }
        return nil
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
                if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0,
                    let address = IPAddress(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "%").first.map(String.init) ?? "")
                {
                    found.append(address)
                }
                node = entry.pointee.ai_next
            }
            return found
        }) ?? []
    }
}
