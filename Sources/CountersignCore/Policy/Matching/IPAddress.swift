/// An IPv4 or IPv6 address, parsed strictly from the text a request or a policy carries.
///
/// Both families live in one 128-bit value: an IPv4 address is stored as its IPv4-mapped IPv6
/// form `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2), so `1.2.3.4` and `::ffff:1.2.3.4` are one address
/// and a dual-stack listener cannot be used to slip an IPv4 client past an IPv4 rule.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// Bytes 0–7 in network order as one integer; two halves keep CIDR matching to four
    /// integer operations with no allocation.
    let high: UInt64
    /// Bytes 8–15 in network order as one integer.
    let low: UInt64

    /// What `::ffff:0:0/96` puts in the low half above an IPv4 address (RFC 4291 §2.5.5.2).
    static let mappedMarker: UInt64 = 0x0000_FFFF_0000_0000

    /// The longest text form there is: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`.
    static let maximumTextLength = 45

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses one address strictly; `nil` for anything else.
    ///
    /// - IPv4: a dotted quad of exactly four decimal numbers 0–255 (the RFC 1123 §2.1 form)
    ///   without leading zeros, because `010.1.1.1` is octal to some parsers and decimal to
    ///   others, and a policy must not mean two things.
    /// - IPv6: RFC 4291 §2.2 — eight groups of 1–4 hex digits, `::` at most once standing for
    ///   one or more zero groups, optionally ending in a dotted quad in place of two groups.
    /// - Refused: zone ids (`fe80::1%eth0`, RFC 6874 §1: a zone only means something on one
    ///   host), brackets, whitespace, the empty string, anything longer than 45 characters.
    public init?(_ text: String) {
        // Length first, so hostile input costs at most 45 bytes of work.
        let count = text.utf8.count
        guard count > 0, count <= Self.maximumTextLength else { return nil }
        let bytes = Array(text.utf8)
        let parsed =
            bytes.contains(Self.colon)
            ? Self.parseIPv6(bytes)
            : Self.parseIPv4(bytes[...]).map { (UInt64(0), Self.mappedMarker | UInt64($0)) }
        guard let (high, low) = parsed else { return nil }
        self.init(high: high, low: low)
    }

    /// True for an IPv4 address, including one written `::ffff:a.b.c.d`: they are stored alike.
    public var isIPv4: Bool { high == 0 && low & 0xFFFF_FFFF_0000_0000 == Self.mappedMarker }

    /// The canonical text: a dotted quad for IPv4 (mapped included), otherwise RFC 5952 §4 —
    /// lowercase, no leading zeros, the longest run of two or more zero groups (the first on a
    /// tie) shortened to `::`.
    public var description: String {
        if isIPv4 { return Self.dottedQuad(UInt32(truncatingIfNeeded: low)) }
        let groups: [UInt16] = (0..<8).map { position in
            let half = position < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (position % 4)))
        }

        // RFC 5952 §4.2.2: a lone zero group is never shortened, hence the initial best of 1.
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for position in 0...8 {
            if position < 8, groups[position] == 0 {
                if runStart < 0 { runStart = position }
            } else if runStart >= 0 {
                if position - runStart > bestLength {
                    bestStart = runStart
                    bestLength = position - runStart
                }
                runStart = -1
            }
        }

        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    // MARK: - Parsing

    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")

    /// Exactly four decimal octets 0–255 separated by single dots, no leading zeros.
    private static func parseIPv4(_ text: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var value: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in text {
            if byte == dot {
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | value
                parts += 1
                value = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if digits == 0 {
                leadingZero = byte == UInt8(ascii: "0")
            } else if leadingZero {
                return nil
            }
            digits += 1
            value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
            // Checked every digit, so `value` never exceeds 2559 and cannot overflow.
            guard value <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return result << 8 | value
    }

    private static func hexValue(_ byte: UInt8) -> UInt16? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt16(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt16(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// RFC 4291 §2.2 text forms 1–3.
    private static func parseIPv6(_ text: [UInt8]) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var compressAt: Int? = nil
        let end = text.count
        var index = 0

        if text.first == colon {
            // A leading colon is only valid as the first half of "::".
            guard end >= 2, text[1] == colon else { return nil }
            compressAt = 0
            index = 2
        }

        while index < end {
            let start = index
            var value: UInt16 = 0
            while index < end, index - start < 4, let digit = hexValue(text[index]) {
                value = value << 4 | digit
                index += 1
            }
            if index < end, text[index] == dot {
                // An embedded dotted quad takes the place of the last two groups, so it must
                // run to the end of the text.
                guard let v4 = parseIPv4(text[start..<end]), groups.count <= 6 else { return nil }
                groups.append(UInt16(truncatingIfNeeded: v4 >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4))
                break
            }
            // Empty group (":::"), a fifth hex digit or a ninth group.
            guard index > start, index == end || text[index] == colon, groups.count < 8 else { return nil }
            groups.append(value)
            if index == end { break }
            index += 1  // past ':'
            if index == end { return nil }  // a trailing single colon
            if text[index] == colon {
                guard compressAt == nil else { return nil }  // "::" at most once
                compressAt = groups.count
                index += 1
            }
        }

        if let compressAt {
            // "::" stands for at least one zero group (RFC 4291 §2.2 item 2).
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: compressAt)
        } else {
            guard groups.count == 8 else { return nil }
        }

        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        return (high, low)
    }

    private static func dottedQuad(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}
