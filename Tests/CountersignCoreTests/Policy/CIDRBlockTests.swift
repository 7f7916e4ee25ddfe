import CountersignCore
import Testing

@Suite struct CIDRBlockTests {
    func block(_ text: String) throws -> CIDRBlock { try CIDRBlock(text) }
    func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

    @Test(arguments: [
        // /0 matches every IPv4 address and nothing else.
        ("0.0.0.0/0", "0.0.0.0", true), ("0.0.0.0/0", "255.255.255.255", true), ("0.0.0.0/0", "::ffff:8.8.8.8", true),
        ("0.0.0.0/0", "::", false), ("0.0.0.0/0", "2001:db8::1", false), ("0.0.0.0/0", "::1.2.3.4", false),
        // /8 at both edges and one past them.
        ("10.0.0.0/8", "10.0.0.0", true), ("10.0.0.0/8", "10.255.255.255", true), ("10.0.0.0/8", "::ffff:10.1.2.3", true),
        ("10.0.0.0/8", "9.255.255.255", false), ("10.0.0.0/8", "11.0.0.0", false), ("10.0.0.0/8", "::10.1.2.3", false),
        // /31: two addresses (RFC 3021).
        ("192.0.2.0/31", "192.0.2.0", true), ("192.0.2.0/31", "192.0.2.1", true),
        ("192.0.2.0/31", "192.0.2.2", false), ("192.0.2.0/31", "192.0.1.255", false),
        // /32 and a bare address: one host.
        ("192.0.2.1/32", "192.0.2.1", true), ("192.0.2.1/32", "192.0.2.0", false), ("192.0.2.1/32", "192.0.2.2", false),
        ("192.0.2.1", "192.0.2.1", true), ("192.0.2.1", "192.0.2.2", false),
        ("255.255.255.255/32", "255.255.255.255", true), ("255.255.255.255/32", "255.255.255.254", false),
        // IPv6 /0 matches everything, IPv4 included (it is stored mapped).
        ("::/0", "::", true), ("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true), ("::/0", "10.0.0.1", true),
        // /32 across the boundary between the halves' top bits.
        ("2001:db8::/32", "2001:db8::", true), ("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false), ("2001:db8::/32", "2001:db9::", false),
        // /64 and /65: the split between the two stored halves.
        ("2001:db8:0:1::/64", "2001:db8:0:1:ffff:ffff:ffff:ffff", true), ("2001:db8:0:1::/64", "2001:db8:0:2::", false),
        ("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff", true), ("2001:db8::/65", "2001:db8::8000:0:0:0", false),
        // /127 and /128.
        ("2001:db8::/127", "2001:db8::1", true), ("2001:db8::/127", "2001:db8::2", false),
        ("2001:db8::1/128", "2001:db8::1", true), ("2001:db8::1/128", "2001:db8::", false), ("2001:db8::1/128", "2001:db8::2", false),
        ("::1", "::1", true), ("::1", "::", false),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        // A block written in mapped form is the IPv4 block.
        ("::ffff:10.0.0.0/104", "10.200.0.1", true), ("::ffff:10.0.0.0/104", "11.0.0.0", false),
        ("::ffff:0:0/96", "1.2.3.4", true), ("::ffff:0:0/96", "::1.2.3.4", false),
    ])
    func matchesExactlyTheAddressesInTheBlock(block text: String, address addressText: String, expected: Bool) throws {
        #expect(try block(text).contains(address(addressText)) == expected)
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("192.0.2.1", "192.0.2.1/32"), ("0.0.0.0/0", "0.0.0.0/0"),
        ("2001:DB8::/32", "2001:db8::/32"), ("2001:0db8:0000::/48", "2001:db8::/48"), ("::1", "::1/128"), ("::/0", "::/0"),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"), ("::ffff:192.0.2.1", "192.0.2.1/32"), ("::ffff:0:0/96", "0.0.0.0/0"),
        ("::fffe:0:0/96", "::fffe:0:0/96"), ("::/95", "::/95"),
    ])
    func describesItselfCanonically(text: String, canonical: String) throws {
        #expect(try block(text).description == canonical)
    }

    @Test func aBlockWrittenInMappedFormEqualsTheIPv4Block() throws {
        #expect(try block("::ffff:10.0.0.0/104") == block("10.0.0.0/8"))
        #expect(try block("192.0.2.1") == block("192.0.2.1/32"))
        #expect(try block("10.0.0.0/8") != block("10.0.0.0/9"))
    }

    @Test(arguments: [
        (
            "10.0.0.1/8",
            #""10.0.0.1/8" has host bits set beyond the /8 prefix: the network is 10.0.0.0/8; write that if it is the network you mean"#
        ),
        (
            "192.168.1.1/16",
            #""192.168.1.1/16" has host bits set beyond the /16 prefix: the network is 192.168.0.0/16; write that if it is the network you mean"#
        ),
        (
            "192.0.2.1/31",
            #""192.0.2.1/31" has host bits set beyond the /31 prefix: the network is 192.0.2.0/31; write that if it is the network you mean"#
        ),
        (
            "1.2.3.4/0",
            #""1.2.3.4/0" has host bits set beyond the /0 prefix: the network is 0.0.0.0/0; write that if it is the network you mean"#
        ),
        (
            "2001:db8::1/32",
            #""2001:db8::1/32" has host bits set beyond the /32 prefix: the network is 2001:db8::/32; write that if it is the network you mean"#
        ),
        (
            "2001:db8::1/127",
            #""2001:db8::1/127" has host bits set beyond the /127 prefix: the network is 2001:db8::/127; write that if it is the network you mean"#
        ),
        (
            "::ffff:10.0.0.1/104",
            #""::ffff:10.0.0.1/104" has host bits set beyond the /104 prefix: the network is ::ffff:10.0.0.0/104; write that if it is the network you mean"#
        ),
        ("::1/0", #""::1/0" has host bits set beyond the /0 prefix: the network is ::/0; write that if it is the network you mean"#),
    ])
    func refusesHostBitsAndNamesTheNetwork(text: String, message: String) {
        #expect(throws: CIDRBlockError(message: message)) { try CIDRBlock(text) }
    }

    @Test(arguments: [
        ("10.0.0.0/33", #""10.0.0.0/33" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/08", #""10.0.0.0/08" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/", #""10.0.0.0/" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/+8", #""10.0.0.0/+8" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/-1", #""10.0.0.0/-1" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/8/8", #""10.0.0.0/8/8" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/8 ", #""10.0.0.0/8 " is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("10.0.0.0/1000", #""10.0.0.0/1000" is not a CIDR block: the prefix length must be a whole number from 0 to 32"#),
        ("2001:db8::/129", #""2001:db8::/129" is not a CIDR block: the prefix length must be a whole number from 0 to 128"#),
        (
            "::ffff:10.0.0.0/8",
            #""::ffff:10.0.0.0/8" has host bits set beyond the /8 prefix: the network is ::/8; write that if it is the network you mean"#
        ),
        ("010.0.0.0/8", #""010.0.0.0/8" is not a CIDR block: "010.0.0.0" is not an IPv4 or IPv6 address"#),
        ("10.0.0/8", #""10.0.0/8" is not a CIDR block: "10.0.0" is not an IPv4 or IPv6 address"#),
        ("/8", #""/8" is not a CIDR block: "" is not an IPv4 or IPv6 address"#),
        (" 10.0.0.0/8", #"" 10.0.0.0/8" is not a CIDR block: " 10.0.0.0" is not an IPv4 or IPv6 address"#),
        ("fe80::%eth0/64", #""fe80::%eth0/64" is not a CIDR block: "fe80::%eth0" is not an IPv4 or IPv6 address"#),
        ("10.0.0.0\n/8", #""10.0.0.0\n/8" is not a CIDR block: "10.0.0.0\n" is not an IPv4 or IPv6 address"#),
        ("", "an empty CIDR block: write an address and a prefix, such as 10.0.0.0/8"),
        (String(repeating: "1", count: 50), #""11111111111111111111111111111111111111111111111111" is not a CIDR block: it is too long"#),
        (String(repeating: "a", count: 100_000), "\"" + String(repeating: "a", count: 64) + "…\" is not a CIDR block: it is too long"),
    ])
    func refusesMalformedTextWithAnExactMessage(text: String, message: String) {
        #expect(throws: CIDRBlockError(message: message)) { try CIDRBlock(text) }
    }

    @Test func theErrorDescribesItselfByItsMessage() {
        let error = CIDRBlockError(message: "m")
        #expect(error.description == "m")
        #expect("\(error)" == "m")
    }
}
