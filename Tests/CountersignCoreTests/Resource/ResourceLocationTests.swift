import CountersignCore
import Testing

private let api = "https://api.example.com"

/// Locations are compared in one normal form (RFC 3986 §6.2.2, POLICY.md §3), and whatever two
/// servers could read as different resources is refused rather than guessed at.
@Suite struct ResourceLocationTests {

    @Test(arguments: [
        // Each way of spelling one resource differently, and its normal form.
        ("HTTPS://API.Example.COM/payments/p-17", "https://api.example.com/payments/p-17"),
        ("https://api.example.com/payments/%76ip-1", "https://api.example.com/payments/vip-1"),
        ("https://api.example.com/payments/vip%2D1", "https://api.example.com/payments/vip-1"),
        ("https://api.example.com/payments/vip%2d1", "https://api.example.com/payments/vip-1"),
        ("https://api.example.com/%7Euser/%5Fx/%61%62%43", "https://api.example.com/~user/_x/abC"),
        ("https://api.example.com/payments/vip%2E1", "https://api.example.com/payments/vip.1"),
        ("https://%61pi.example.com/x", "https://api.example.com/x"),
        ("https://api.example.com:443/payments", "https://api.example.com/payments"),
        ("http://api.example.com:80/payments", "http://api.example.com/payments"),
        ("https://api.example.com:80/payments", "https://api.example.com:80/payments"),
        ("http://api.example.com:443/payments", "http://api.example.com:443/payments"),
        ("https://api.example.com:08443/payments", "https://api.example.com:8443/payments"),
        ("https://api.example.com:0443/payments", "https://api.example.com/payments"),
        ("https://api.example.com:/payments", "https://api.example.com/payments"),
        ("https://api.example.com", "https://api.example.com/"),
        ("https://api.example.com:443", "https://api.example.com/"),
        ("https://[2001:DB8:0:0:0:0:0:1]/x", "https://[2001:db8::1]/x"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        ("https://[2001:db8::1]:443/x", "https://[2001:db8::1]/x"),
        ("https://192.0.2.1/x", "https://192.0.2.1/x"),
        ("https://api.example.com/a%3ab%3F%40", "https://api.example.com/a%3Ab%3F%40"),
        ("https://api.example.com/caf%c3%a9", "https://api.example.com/caf%C3%A9"),
        ("https://api.example.com/100%25", "https://api.example.com/100%25"),
        ("https://api.example.com/vip%252D1", "https://api.example.com/vip%252D1"),
        ("https://api.example.com/a:b@c!$&'()*+,;=", "https://api.example.com/a:b@c!$&'()*+,;="),
        ("https://api.example.com/payments/", "https://api.example.com/payments/"),
        ("https://api.example.com/Payments/P-17", "https://api.example.com/Payments/P-17"),
        ("https://api.example.com/payments/...", "https://api.example.com/payments/..."),
        ("https://api.example.com/payments/.well-known", "https://api.example.com/payments/.well-known"),
        ("Web+Cal.1://Calendar.Example/x", "web+cal.1://calendar.example/x"),
    ])
    func normalises(_ text: String, _ normal: String) throws {
        let location = try ResourceLocation(normalizing: text)
        #expect(location.uri == normal)
        #expect(try ResourceLocation(normalizing: normal).uri == normal, "the normal form is its own normal form")
    }

    @Test(arguments: [
        (api + "/payments/..", "has a dot segment (. or ..) in its path"),
        (api + "/payments/../users/u-9", "has a dot segment (. or ..) in its path"),
        (api + "/payments/./vip-1", "has a dot segment (. or ..) in its path"),
        (api + "/payments/%2E%2E/users", "has a dot segment (. or ..) in its path"),
        (api + "/payments/.%2e", "has a dot segment (. or ..) in its path"),
        (api + "/.", "has a dot segment (. or ..) in its path"),
        (api + "/payments/..%2Fusers%2Fu-9", "has an encoded slash or backslash (%2F, %5C) in its path, which servers read differently"),
        (api + "/payments/vip%2f1", "has an encoded slash or backslash (%2F, %5C) in its path, which servers read differently"),
        (api + "/payments/vip%5C1", "has an encoded slash or backslash (%2F, %5C) in its path, which servers read differently"),
        (api + "/payments/vip-1%00", "has an encoded control character (%00-%1F, %7F)"),
        (api + "/payments/vip-1%0A", "has an encoded control character (%00-%1F, %7F)"),
        (api + "/payments/vip-1?x=1", "has a query (?...): the action does not declare resource_query: true"),
        (api + "/payments/vip-1?", "has a query (?...): the action does not declare resource_query: true"),
        (api + "/payments/vip-1#x", "has a fragment (#...), which never reaches a resource server"),
        (api + "/payments/vip-1#", "has a fragment (#...), which never reaches a resource server"),
        (api + "/payments//vip-1", "has an empty path segment (//)"),
        (api + "//payments", "has an empty path segment (//)"),
        (api + "/%G1", "has an invalid percent-escape: % must be followed by two hex digits"),
        (api + "/vip%2", "has an invalid percent-escape: % must be followed by two hex digits"),
        (api + "/vip%", "has an invalid percent-escape: % must be followed by two hex digits"),
        (api + "/caf\u{E9}", "holds U+00E9, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        (api + "/v\u{0131}p-1", "holds U+0131, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        ("https://\u{0430}pi.example.com/x", "holds U+0430, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        (api + "/a b", "holds U+0020, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        (api + "/a\\..\\b", "holds U+005C, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        (api + "/a\tb", "holds U+0009, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        (api + "/a[1]", "has U+005B ([) in its path, where it must be percent-encoded"),
        ("https://user@api.example.com/x", "has user information (...@) before its host"),
        ("https://api.example.com@evil.example.com/x", "has user information (...@) before its host"),
        ("/payments/1", "is not an absolute URI with a host (scheme://host/path)"),
        ("api.example.com/payments/1", "is not an absolute URI with a host (scheme://host/path)"),
        ("urn:example:payments:1", "is not an absolute URI with a host (scheme://host/path)"),
        ("https:/api.example.com/x", "is not an absolute URI with a host (scheme://host/path)"),
        ("1https://api.example.com/x", "is not an absolute URI with a host (scheme://host/path)"),
        ("", "is not an absolute URI with a host (scheme://host/path)"),
        ("https:///x", "has no host"),
        ("https://:443/x", "has no host"),
        ("https://api.example.com./x", "has a host with an empty label (a dot at its start or end, or two in a row)"),
        ("https://api..example.com/x", "has a host with an empty label (a dot at its start or end, or two in a row)"),
        ("https://.api.example.com/x", "has a host with an empty label (a dot at its start or end, or two in a row)"),
        ("https://api!.example.com/x", "has a host that is not a DNS name, an IPv4 address or a bracketed IPv6 address"),
        ("https://ap%2Fi.example.com/x", "has a host that is not a DNS name, an IPv4 address or a bracketed IPv6 address"),
        ("https://api.example.com:99999/x", "has an invalid port: a port is a number from 1 to 65535"),
        ("https://api.example.com:0/x", "has an invalid port: a port is a number from 1 to 65535"),
        ("https://api.example.com:44a/x", "has an invalid port: a port is a number from 1 to 65535"),
        ("https://api.example.com:443:443/x", "has an invalid port: a port is a number from 1 to 65535"),
        ("https://127.1/x", "has a host that ends in a number but is not a dotted-quad IPv4 address (such as 192.0.2.1)"),
        ("https://0x7f.0.0.1/x", "has a host that ends in a number but is not a dotted-quad IPv4 address (such as 192.0.2.1)"),
        ("https://127.0.0.0x1/x", "has a host that ends in a number but is not a dotted-quad IPv4 address (such as 192.0.2.1)"),
        ("https://2130706433/x", "has a host that ends in a number but is not a dotted-quad IPv4 address (such as 192.0.2.1)"),
        ("https://010.0.0.1/x", "has a host that ends in a number but is not a dotted-quad IPv4 address (such as 192.0.2.1)"),
        ("https://[fe80::1%25eth0]/x", "has an invalid IPv6 address in brackets (zone ids are refused)"),
        ("https://[v1.fe]/x", "has an invalid IPv6 address in brackets (zone ids are refused)"),
        ("https://[192.0.2.1]/x", "has an invalid IPv6 address in brackets (zone ids are refused)"),
        ("https://[::ffff:192.0.2.1]/x", "has an IPv4-mapped IPv6 host: write the IPv4 address itself"),
        ("https://[::1/x", "has an IPv6 host without its closing ]"),
        ("https://[::1]x/", "has text after its IPv6 host"),
        (api + "/" + String(repeating: "a", count: 2048), "is longer than 2048 bytes"),
    ])
    func refuses(_ text: String, _ message: String) {
        #expect(throws: ResourceLocationError(message)) { try ResourceLocation(normalizing: text) }
    }

    @Test(arguments: [
        (api + "/search?q=%7euser", api + "/search?q=~user"),
        (api + "/search?q=a%2fb&r=%3f", api + "/search?q=a%2Fb&r=%3F"),
        (api + "/search?", api + "/search"),
        (api + "/search?x=1?y=/2", api + "/search?x=1?y=/2"),
        ("HTTPS://API.example.com:443?x", api + "/?x"),
    ])
    func aQueryIsNormalisedWhereTheActionAllowsOne(_ text: String, _ normal: String) throws {
        #expect(try ResourceLocation(normalizing: text, allowsQuery: true).uri == normal)
    }

    @Test(arguments: [
        (api + "/search?q=a b", "holds U+0020, which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)"),
        (api + "/search?q=%zz", "has an invalid percent-escape: % must be followed by two hex digits"),
        (api + "/search?q=%00", "has an encoded control character (%00-%1F, %7F)"),
        (api + "/search?q=[1]", "has U+005B ([) in its query, where it must be percent-encoded"),
        (api + "/search?q=1#top", "has a fragment (#...), which never reaches a resource server"),
        (api + "/a/../search?q=1", "has a dot segment (. or ..) in its path"),
    ])
    func aQueryStillHasRules(_ text: String, _ message: String) {
        #expect(throws: ResourceLocationError(message)) { try ResourceLocation(normalizing: text, allowsQuery: true) }
    }

    @Test(arguments: [
        (api + "/payments/p-17", api, true),
        (api + "/payments/p-17", api + "/", true),
        (api + "/payments/p-17", api + "/payments", true),
        (api + "/payments/p-17", api + "/payments/", true),
        (api + "/payments", api + "/payments", true),
        (api + "/payments/", api + "/payments", true),
        (api + "/payments", api + "/payments/", false),
        (api + "/payments-archive/1", api + "/payments", false),
        (api + "/pay", api + "/payments", false),
        ("https://api.example.com.evil.example/x", api, false),
        ("https://evil.example/api.example.com/x", api, false),
        ("http://api.example.com/x", api, false),
        ("https://api.example.com:8443/x", api, false),
        ("https://API.example.com:443/payments/p-1", "https://api.example.COM/payments", true),
        (api + "/payments/%70-1", api + "/payments", true),
    ])
    func aResourceServerCoversItsURIAndWhatLiesBelow(_ location: String, _ server: String, _ covered: Bool) throws {
        let location = try ResourceLocation(normalizing: location)
        #expect(location.isCovered(by: try ResourceLocation(normalizing: server)) == covered)
    }

    @Test func aQueryBelongsToTheLocationNotToTheResourceServer() throws {
        let search = try ResourceLocation(normalizing: api + "/search?q=1", allowsQuery: true)
        #expect(search.path == "/search" && search.query == "q=1")
        #expect(search.isCovered(by: try ResourceLocation(normalizing: api + "/search")))
        let tenant = try ResourceLocation(normalizing: api + "/?tenant=1", allowsQuery: true)
        #expect(!search.isCovered(by: tenant), "a resource server URI with a query covers nothing")
    }

    @Test(
        arguments: [
            // (pattern or value, is it a glob, why it can never match a location)
            (api + "/payments/*", true, nil),
            (api + "/payments/vip-*", true, nil),
            (api + "/**", true, nil),
            ("*", true, nil),
            ("**/payments/*", true, nil),
            ("https://*.example.com/x", true, nil),
            ("urn:example:*", true, nil),
            (api + "/payments/p-17", false, nil),
            (api + "/search?q=1", false, nil),
            (
                "https://API.example.com/payments/*", true,
                #"locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/payments/*""#
            ),
            (
                "https://api.example.com:443/payments/vip-*", true,
                #"locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/payments/vip-*""#
            ),
            (
                api + "/payments/%76ip-*", true,
                #"locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/payments/vip-*""#
            ),
            (
                api + "/caf%c3%a9/*", true,
                #"locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/caf%C3%A9/*""#
            ),
            (api, false, #"locations are compared in normal form (docs/POLICY.md §3); write "https://api.example.com/""#),
            (
                api + "/a/../*", true,
                #"its fixed part "https://api.example.com/a/../" has a dot segment (. or ..) in its path, which no location has"#
            ),
            (api + "/payments/vip%2F*", true, nil),
        ] as [(String, Bool, String?)])
    func aPolicyPatternMustBeWrittenInNormalForm(_ pattern: String, _ isGlob: Bool, _ problem: String?) {
        #expect(ResourceLocation.neverMatchesProblem(pattern: pattern, isGlob: isGlob) == problem)
    }
}
