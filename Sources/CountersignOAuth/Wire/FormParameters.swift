import CountersignCore

/// The parameters of an `application/x-www-form-urlencoded` body, parsed strictly:
/// a repeated name is an error, never first- or last-wins (RFC 6749 §3.1);
/// bracket names (`scope[]`) are refused; bad percent-encoding, invalid UTF-8 and control
/// characters are refused. Empty values count as absent (RFC 6749 §3.1).
public struct FormParameters: Sendable {
    /// More parameters than this are refused.
    public static let maxCount = 64

    /// Each parameter's value by name.
    public private(set) var values: [String: String]

    /// Parameters already parsed.
    public init(_ values: [String: String]) { self.values = values }

    /// The value of `name`; nil when absent or empty.
    public subscript(_ name: String) -> String? { values[name] }

    /// Parses a body; every failure is `invalid_request` with a description naming the problem.
    /// `ownChecks` names parameters whose control characters the endpoint refuses itself, with
    /// its own error code (CIBA's `invalid_binding_message`).
    public static func parse(_ body: [UInt8], ownChecks: Set<String> = []) throws(OAuthError) -> FormParameters {
        var values: [String: String] = [:]
        var seen: Set<String> = []
        var count = 0
        // Pairs and their `=` found by scanning the body in place, without splitting it into arrays.
        var start = body.startIndex
        while start < body.endIndex {
            let end = body[start...].firstIndex(of: UInt8(ascii: "&")) ?? body.endIndex
            let pair = body[start..<end]
            start = end + 1
            if pair.isEmpty { continue }
            count += 1
            guard count <= maxCount else { throw .invalidRequest("too many parameters (at most \(maxCount))") }
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = decode(pair[..<(equals ?? pair.endIndex)]) else {
                throw .invalidRequest("malformed form parameter name")
            }
            guard !name.isEmpty else { throw .invalidRequest("a form parameter has no name") }
            guard !name.utf8.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }) else {
                throw .invalidRequest("parameter names with brackets are not accepted")
            }
            let valueBytes = equals.map { pair[($0 + 1)...] }
            guard let value = valueBytes.map({ decode($0, allowControls: ownChecks.contains(name)) }) ?? "" else {
                throw .invalidRequest("parameter \(printable(name)) is not valid form encoding or UTF-8")
            }
            guard seen.insert(name).inserted else {
                throw .invalidRequest("parameter \(printable(name)) was given more than once")
            }
            if !value.isEmpty { values[name] = value }
        }
        return FormParameters(values)
    }

    /// Percent-decodes one name or value; nil for bad escapes, invalid UTF-8 or control characters.
    static func decode(_ bytes: ArraySlice<UInt8>, allowControls: Bool = false) -> String? {
        bytes.withUnsafeBufferPointer { source in
            // Most values (a subject token, a client id) hold no escape: checked and copied whole.
            guard source.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
                return text(source, allowControls: allowControls)
            }
            var out: [UInt8] = []
            out.reserveCapacity(source.count)
            var i = 0
            while i < source.count {
                let c = source[i]
                if c == UInt8(ascii: "+") {
                    out.append(0x20)
                    i += 1
                } else if c == UInt8(ascii: "%") {
                    guard i + 2 < source.count, let hi = hex(source[i + 1]), let lo = hex(source[i + 2])
                    else { return nil }
                    out.append(hi << 4 | lo)
                    i += 3
                } else {
                    out.append(c)
                    i += 1
                }
            }
            return out.withUnsafeBufferPointer { text($0, allowControls: allowControls) }
        }
    }

    /// Decoded bytes as text; nil for invalid UTF-8 or, unless allowed, a control character
    /// (one byte in UTF-8, never part of a longer sequence).
    static func text(_ bytes: UnsafeBufferPointer<UInt8>, allowControls: Bool) -> String? {
        guard allowControls || !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A parameter name (or another short identifier) safe to echo in an error description:
    /// printable ASCII without quotes or backslashes, else `placeholder`.
    public static func printable(_ name: String, maxLength: Int = 40, placeholder: String = "(unprintable name)") -> String {
        let safe = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0 != "\"" && $0 != "\\" }
        return safe && name.count <= maxLength ? name : placeholder
    }
}
