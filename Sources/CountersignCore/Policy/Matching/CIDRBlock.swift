/// A network written in CIDR notation (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6),
/// such as `10.0.0.0/8` or `2001:db8::/32`.
///
/// Like ``IPAddress``, the block lives in the 128-bit IPv6 space: an IPv4 block `/n` is the
/// IPv4-mapped block `::ffff:a.b.c.d/(96 + n)` (RFC 4291 §2.5.5.2). So `10.0.0.0/8` matches
/// `10.1.2.3` and `::ffff:10.1.2.3` alike, and `::ffff:10.0.0.0/104` is the same block as
/// `10.0.0.0/8` (equal, and described as `10.0.0.0/8`).
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    // Network and mask as two halves each: `contains` is four ANDs and compares, no allocation.
    private let networkHigh: UInt64
    private let networkLow: UInt64
    private let maskHigh: UInt64
    private let maskLow: UInt64
    /// The prefix length in the 128-bit space (96 + n for an IPv4 block).
    private let prefixLength: UInt8

    /// The longest text: a 45-character address, "/" and three digits.
    private static let maximumTextLength = IPAddress.maximumTextLength + 4

    /// Parses `address/prefix`, or a bare address meaning a single host (`/32` or `/128`).
    ///
    /// The prefix is decimal without leading zeros, at most 32 after an IPv4 address and at
    /// most 128 after an IPv6 one (RFC 4291 §2.3). An address with bits set beyond the prefix
    /// (`10.0.0.1/8`) is refused rather than silently masked: RFC 4291 §2.3 calls that form
    /// legal, but in a policy it is usually a typo, and masking would silently grant a
    /// different network than the author had in mind. The message names the network address.
    public init(_ text: String) throws(CIDRBlockError) {
        guard !text.isEmpty else {
            throw CIDRBlockError(message: "an empty CIDR block: write an address and a prefix, such as 10.0.0.0/8")
        }
        guard text.utf8.count <= Self.maximumTextLength else {
            throw CIDRBlockError(message: "\(text.quotedForMessage) is not a CIDR block: it is too long")
        }

        let addressText: Substring
        let prefixText: Substring?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            prefixText = text[text.index(after: slash)...]
        } else {
            addressText = text[...]
            prefixText = nil
        }

        guard let address = IPAddress(String(addressText)) else {
            throw CIDRBlockError(
                message: "\(text.quotedForMessage) is not a CIDR block: "
                    + "\(String(addressText).quotedForMessage) is not an IPv4 or IPv6 address")
        }
        // The family is the one the author wrote: "::ffff:10.0.0.0" takes an IPv6 prefix.
        let writtenAsIPv4 = !addressText.contains(":")
        let familyBits = writtenAsIPv4 ? 32 : 128

        var length = familyBits
        if let prefixText {
            guard let parsed = Self.parsePrefix(prefixText), parsed <= familyBits else {
                throw CIDRBlockError(
                    message: "\(text.quotedForMessage) is not a CIDR block: "
                        + "the prefix length must be a whole number from 0 to \(familyBits)")
            }
            length = parsed
        }
        let total = writtenAsIPv4 ? 96 + length : length

        let (maskHigh, maskLow) = Self.mask(prefixLength: total)
        let networkHigh = address.high & maskHigh
        let networkLow = address.low & maskLow
        guard networkHigh == address.high, networkLow == address.low else {
            let network = IPAddress(high: networkHigh, low: networkLow)
            let networkText = writtenAsIPv4 ? network.description : Self.ipv6Text(network)
            throw CIDRBlockError(
                message: "\(text.quotedForMessage) has host bits set beyond the /\(length) prefix: "
                    + "the network is \(networkText)/\(length); write that if it is the network you mean")
        }

        self.networkHigh = networkHigh
        self.networkLow = networkLow
        self.maskHigh = maskHigh
        self.maskLow = maskLow
        self.prefixLength = UInt8(total)
    }

    /// True when `address` lies in the block. An IPv4 block matches IPv4 addresses however they
    /// were written (plain or IPv4-mapped, RFC 4291 §2.5.5.2); `::/0` matches every address.
    @inline(__always)
    public func contains(_ address: IPAddress) -> Bool {
        address.high & maskHigh == networkHigh && address.low & maskLow == networkLow
    }

    /// `10.0.0.0/8` for a block inside `::ffff:0:0/96`, otherwise the RFC 5952 §4 address with
    /// its prefix length (`2001:db8::/32`).
    public var description: String {
        let network = IPAddress(high: networkHigh, low: networkLow)
        if prefixLength >= 96, network.isIPv4 { return "\(network)/\(prefixLength - 96)" }
        return "\(Self.ipv6Text(network))/\(prefixLength)"
    }

    // MARK: - Helpers

    /// The mask with the first `prefixLength` of 128 bits set, as two halves.
    private static func mask(prefixLength: Int) -> (UInt64, UInt64) {
        func bits(_ count: Int) -> UInt64 {
            count <= 0 ? 0 : count >= 64 ? .max : ~(UInt64.max >> UInt64(count))
        }
        return (bits(prefixLength), bits(prefixLength - 64))
    }

    /// Decimal 0–999 without leading zeros ("0" itself is fine); `nil` otherwise.
    private static func parsePrefix(_ text: Substring) -> Int? {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 3 else { return nil }
        if bytes.count > 1, bytes.first == UInt8(ascii: "0") { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// An address in IPv6 text even when it is IPv4-mapped, so that an error about a block the
    /// author wrote in IPv6 form (`::ffff:10.0.0.1/104`) answers in the same form.
    private static func ipv6Text(_ address: IPAddress) -> String {
        guard address.isIPv4 else { return address.description }
        return "::ffff:\(address.description)"
    }
}

/// Why a text is not a ``CIDRBlock``; the message is written for the author of the policy.
public struct CIDRBlockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence that names the offending text and, where there is one, the fix.
    public let message: String
    /// An error with `message`; public so that callers and tests can compare errors by value.
    public init(message: String) { self.message = message }
    /// The message itself.
    public var description: String { message }
}
