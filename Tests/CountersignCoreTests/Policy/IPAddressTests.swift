import CountersignCore
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"), ("10.0.0.1", "10.0.0.1"),
        ("192.0.2.1", "192.0.2.1"), ("1.20.100.0", "1.20.100.0"),
    ])
    func acceptsDottedQuads(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.isIPv4)
        #expect(address.description == canonical)
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("fe80::1:2", "fe80::1:2"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::1.2.3.4", "::102:304"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"), ("::fffe:1.2.3.4", "::fffe:102:304"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ])
    func acceptsRFC4291TextAndPrintsRFC5952(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(!address.isIPv4)
        #expect(address.description == canonical)
    }

    @Test(arguments: [
        "", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3.999", "1.2.3.1000", "010.1.1.1", "1.2.3.04",
        "00.1.1.1", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4.", "+1.2.3.4", "-1.2.3.4", "1.2.3.4 ", " 1.2.3.4",
        "1.2.3.4\n", "0x1.2.3.4", "1.2.3.0x4", "1e1.2.3.4", "16909060", "１.2.3.4", "1.2.3.4/32",
        ":", ":::", "1::2::3", "::1::", "1:::2", ":1::", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:",
        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "::12345",
        "g::1", "fe80::1%eth0", "fe80::1%1", "[::1]", "[2001:db8::1]", "::1 ", "2001:db8::1\0", "::ffff:1.2.3",
        "::ffff:1.2.3.4.5", "::ffff:01.2.3.4", "::ffff:256.2.3.4", "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
        "::ffff:1.2.3.4:1", "1.2.3.4:80",
        "1:2:3:4:5:6:255.255.255.255:", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555",
        String(repeating: "1", count: 46), String(repeating: "0:", count: 100_000) + "1",
    ])
    func refusesAnythingButOneAddress(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func anIPv4AddressEqualsItsMappedForm() throws {
        let plain = try #require(IPAddress("192.0.2.1"))
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        let mappedHex = try #require(IPAddress("::FFFF:c000:0201"))
        #expect(plain == mapped)
        #expect(plain == mappedHex)
        #expect(plain.hashValue == mapped.hashValue)
        #expect(mapped.isIPv4)
        #expect(mapped.description == "192.0.2.1")
        #expect(Set([plain, mapped, mappedHex]).count == 1)
    }

    @Test func theDeprecatedCompatibleFormIsNotIPv4() throws {
        // RFC 4291 §2.5.5.1: ::a.b.c.d is a different address from a.b.c.d.
        let compatible = try #require(IPAddress("::192.0.2.1"))
        #expect(!compatible.isIPv4)
        #expect(compatible != IPAddress("192.0.2.1"))
    }

    @Test func theCanonicalTextParsesBackToTheSameAddress() throws {
        for text in ["2001:db8::1", "::", "0.0.0.0", "::ffff:10.0.0.1", "1:0:0:1:0:0:0:1", "fe80::", "1:2:3:4:5:6:7:8"] {
            let address = try #require(IPAddress(text))
            #expect(IPAddress(address.description) == address)
        }
    }
}
