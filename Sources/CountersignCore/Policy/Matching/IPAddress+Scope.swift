extension IPAddress {
    /// Blocks an outgoing call from this server must not reach unless the operator allows it:
    /// loopback, private networks, link-local (cloud metadata at 169.254.169.254), shared and
    /// unspecified addresses, unique-local and site-local IPv6 (RFC 6890 special-purpose
    /// registries), and the IPv6 forms that carry an IPv4 address
    /// inside (IPv4-compatible, NAT64, 6to4, Teredo), which could reach any of those.
    static let nonPublicBlocks: [CIDRBlock] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
        "::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2002::/16",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].compactMap { try? CIDRBlock($0) }

    /// True when the address is not a public unicast address.
    public var isNonPublic: Bool { Self.nonPublicBlocks.contains { $0.contains(self) } }
}
